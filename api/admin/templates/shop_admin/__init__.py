"""Templates of the shop's admin pages (a package only so that the wheel carries them)."""
