"""The runner: the queue of launched stages the app owns, the view model of a run, following runs through the
store, and the launch request a form builds."""
