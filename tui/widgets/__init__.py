"""The app's widgets, one per module; they render what screens hand them and never call the store."""
