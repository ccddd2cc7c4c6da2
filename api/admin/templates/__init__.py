"""The web admin's Jinja templates (a package only so that the wheel carries them)."""
