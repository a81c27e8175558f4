"""Pandera schemas: the single source of truth for every form's fields, rules, labels and help."""
