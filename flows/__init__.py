"""The shop's flows (YAML) and the actions, conditions, validators and data sources they name."""
