"""The app's screens, one per module: explorer, runs, lineage, dialogs, help."""
