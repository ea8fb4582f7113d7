"""The artifact methods of a wandb_compat run, with the SDK's signatures and results: `use_artifact`,
`log_artifact`, `log_model`, `use_model`, `link_model`, `link_artifact`, and tables in `run.log`.

`log_artifact(art)` commits the version and returns `art` itself, now logged (as the SDK's `art.wait()` would
leave it); a path is logged as `run-<run id>-<basename>`, as the SDK names it. `use_artifact` takes a name, a
logged artifact, or a draft (logged first, as an input only). A name that the store does not know is the SDK's
`wandb.errors.CommError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

from core import names, writes
from core.artifact import Artifact as CoreArtifact
from core.artifact import coerce_for_logging
from core.errors import ValidationError
from core.run import log_files
from core.values import ArtifactVersion
from core.wandb_compat.api import find_artifact
from core.wandb_compat.artifacts import Artifact, coerce, default_entity, parse_target

MODEL_REGISTRY = "model-registry"


class ArtifactMethods:
    """Mixed into `CompatRun` (a `core.Run`): `self.store`, `self.project`, `self.id`, `self._pk`."""

    @property
    def entity(self) -> str:
        return default_entity()

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    def _here(self, art: Artifact) -> ArtifactVersion:
        """The version of a logged artifact in this run's store (read again by name if it came from another
        Store object)."""
        version = art.core_version
        if art.store is self.store or art.store.local_root == self.store.local_root:
            return version
        raise ValidationError(f"{version.full_name} is in another store ({art.store.location}); this run logs "
                              f"to {self.store.location}")

    def use_artifact(self, artifact_or_name: Any, type: str | None = None, aliases: Any = None,
                     use_as: str | None = None) -> Artifact:
        """Record the version as an input of this run; -> it (call `.download()` for its files)."""
        self._check_open()
        if isinstance(artifact_or_name, str):
            art = find_artifact(self.store, artifact_or_name, self.project)
            if type is not None and type != art.type:
                raise ValueError(f"Supplied type {type} does not match type {art.type} of artifact {art.name}")
        elif isinstance(artifact_or_name, Artifact) or CoreArtifact.is_wandb(artifact_or_name):
            art = artifact_or_name
            if CoreArtifact.is_wandb(art):
                if not art.is_draft():
                    raise ValueError("use_artifact takes a wandb.Artifact of the SDK only as a draft; read a "
                                     "logged one by name")
                art = _taken_over(art)
            if art.is_draft():  # as the SDK: a draft is logged, then used (an input, not an output of this run)
                draft, wanted = coerce_for_logging(art.core_draft(), None, None, aliases)
                try:
                    version = log_files(self.store, draft, self.project, wanted, run_pk=None)
                finally:
                    draft.cleanup()
                art.attach(self.store, version)
        else:
            raise ValueError('You must pass an artifact name (e.g. "pedestrian-dataset:v1"), an instance of '
                             "`wandb.Artifact`, or `wandb.Api().artifact()` to `use_artifact`")
        super().use_artifact(self._here(art))
        return art

    def log_artifact(self, artifact_or_path: Any, name: str | None = None, type: str | None = None,
                     aliases: Iterable[str] | None = None, tags: Iterable[str] | None = None) -> Artifact:
        """Commit the artifact as an output of this run (`aliases` besides "latest", `tags`); -> it, logged."""
        self._check_open()
        wanted_tags = names.check_tags(tags) if tags is not None else []
        art = coerce(artifact_or_path, name, type, self.id)
        if CoreArtifact.is_wandb(art):
            art = _taken_over(art)
        if art.is_draft():
            version = super().log_artifact(art.core_draft(), aliases=aliases)
        else:
            version = self._relog(art, aliases)
        new_tags = [t for t in wanted_tags if t not in version.tags]
        if new_tags:
            version = self.store.update_version(version, tags=[*version.tags, *new_tags])
        art.attach(self.store, version)
        return art

    def _relog(self, art: Artifact, aliases: Any) -> ArtifactVersion:
        """A logged version logged again: the same content, so the same version, now also an output of this
        run, with `aliases` added and "latest" moved to it (as logging identical content does)."""
        version = self._here(art)
        wanted = [names.check_alias(a) for a in dict.fromkeys([aliases] if isinstance(aliases, str) else
                                                               aliases or ()) if a != "latest"]
        rows = [writes.ManifestRow(f.path, f.digest, f.size) for f in version.files()]
        return writes.commit_version(self.store, run_pk=self._pk, project=version.project, name=version.name,
                                     type_=version.type, alg=version.alg, entries=rows,
                                     description=version.description, metadata=version.metadata, aliases=wanted)

    # -- models ---------------------------------------------------------------------------------------------------
    def log_model(self, path: str | os.PathLike, name: str | None = None,
                  aliases: Iterable[str] | None = None) -> None:
        """Log the file or directory at `path` as a "model" artifact (named `run-<id>-<basename>` by default)."""
        self.log_artifact(path, name=name, type="model", aliases=aliases)

    def use_model(self, name: str) -> str:
        """Use a model artifact and download it; -> the download directory, or its one file."""
        art = self.use_artifact(name)
        if "model" not in str(art.type.lower()):
            raise AssertionError("You can only use this method for 'model' artifacts. For an artifact to be a "
                                 "'model' artifact, its type property must contain the substring 'model'.")
        path = art.download()
        entries = os.listdir(path)
        return os.path.join(path, entries[0]) if len(entries) == 1 else path

    def link_model(self, path: str | os.PathLike, registered_model_name: str, name: str | None = None,
                   aliases: Iterable[str] | None = None) -> Artifact:
        """Log the model at `path` (a new version of `name` if its content is new) and link it to
        "model-registry/<registered_model_name>"; -> the linked artifact."""
        if len(registered_model_name.split("/")) != 1:
            raise AssertionError("Please provide only the name of the registered model. Do not append the entity "
                                 "or project name.")
        type_ = "model"
        if name is not None:
            try:
                existing = find_artifact(self.store, f"{name}:latest", self.project)
            except LookupError:
                existing = None
            if existing is not None:
                if "model" not in str(existing.type.lower()):
                    raise AssertionError("You can only use this method for 'model' artifacts. For an artifact to "
                                         "be a 'model' artifact, its type property must contain the substring "
                                         "'model'.")
                type_ = existing.type
        art = self.log_artifact(path, name=name, type=type_)
        return self.link_artifact(art, f"{self.entity}/{MODEL_REGISTRY}/{registered_model_name}", aliases)

    def link_artifact(self, artifact: Any, target_path: str, aliases: Iterable[str] | None = None) -> Artifact:
        """Link the artifact (logged first if it is a draft) into "project/collection" (default project: this
        run's) or a registry's "wandb-registry-NAME/collection"; -> the linked artifact."""
        if not isinstance(artifact, Artifact) or artifact.is_draft():
            artifact = self.log_artifact(artifact)
        project, collection = parse_target(target_path, self.project)
        if isinstance(aliases, str):
            aliases = [aliases]
        link = self.store.link_version(self._here(artifact), project, collection, list(aliases or ()),
                                       run_id=self.id)
        return Artifact.from_version(self.store, link.version, link)

    # -- tables in run.log ----------------------------------------------------------------------------------------
    def _log_table(self, key: str, table: Any) -> dict:
        """As the SDK: the table goes into an artifact `run-<run id>-<key>` of type "run_table"; -> the history
        cell pointing at it."""
        art = Artifact(f"run-{self.id}-{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}"[:128], "run_table")
        entry = art.add(table, names.check_path(key))
        self.log_artifact(art)
        return {"_type": "table-file", "artifact_path": f"wandb-artifact://{art.project}/{art.name}/{entry.path}",
                "path": entry.path, "size": entry.size, "ncols": len(table.columns), "nrows": len(table.data),
                "log_mode": getattr(table, "log_mode", "IMMUTABLE")}


def _taken_over(sdk_artifact: Any) -> Artifact:
    """A draft `wandb.Artifact` built with the SDK, as ours (its files, metadata, digest algorithm)."""
    return Artifact.from_core_draft(CoreArtifact.from_wandb(sdk_artifact))
