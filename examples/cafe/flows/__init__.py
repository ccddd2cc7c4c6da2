"""The cafe's flows (YAML) and the actions, conditions and data sources they name."""
