"""Table booking at a cafe: a second bot on the engine, written in YAML plus a few actions.

``python examples/cafe/run.py --console`` chats in the terminal; ``cafe.py`` assembles it.
"""
