"""How the kernel reads (and, when building, edits) its notebook."""
