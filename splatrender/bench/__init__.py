"""`splatrender bench`: frame and stage times per adapter, reports, and run comparison.

An offline tool (numpy and matplotlib allowed): ``runner`` times the render core
on every adapter, ``schema`` is the result file, ``report`` writes Markdown and a
chart, ``compare`` tells a regression from noise.
"""
