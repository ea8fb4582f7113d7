"""The test suite, a package so that `tests/core` is `tests.core` and never shadows the `core` package, whatever
directory pytest runs from. Its layout mirrors the code: tests/core/ (and core's subpackages), tests/tui/, tests/cli/
for `tui.cli`; what several modules share is in tests/helpers/."""
