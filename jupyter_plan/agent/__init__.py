"""The planning (and later building) agent: loop, model layer, context, prompts."""
