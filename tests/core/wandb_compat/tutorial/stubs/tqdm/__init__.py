"""A stand-in for tqdm, put on the tutorial script's path only when the real tqdm is not installed: the published
tutorial imports `tqdm.auto.tqdm` and never calls it."""

from tqdm.auto import tqdm  # noqa: F401
