"""The plan widgets: review, questions, tool approvals, and the person behind them.

``render`` is pure (plan → Markdown/HTML/MIME bundle) and cheap to import. The widget modules
(``review``, ``question``, ``approval``, ``human``) import ipywidgets, so nothing here imports
them: ``import jupyter_plan`` and ``%load_ext jupyter_plan`` must stay light.
"""
