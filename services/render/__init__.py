"""render: turns published snapshots into the static pages of the public site."""
