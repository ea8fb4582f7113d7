"""A run may use an artifact of another project: its lineage edge names the version's own project."""

import core


def test_an_input_from_another_project_keeps_its_project(store, tmp_path):
    with core.init(project="shared-data", job_type="load-data", store=store) as run:
        art = core.Artifact("mnist-raw", type="dataset")
        with art.new_file("x.txt") as f:
            f.write("x")
        run.log_artifact(art)
    with core.init(project="experiments", job_type="train", store=store) as run:
        used = run.use_artifact("shared-data/mnist-raw:latest")
    assert used.project == "shared-data"
    edges = store.lineage_edges("experiments")
    assert [(e.project, e.name, e.index, e.direction) for e in edges] == [("shared-data", "mnist-raw", 0, "input")]
    assert [r.id for r in used.used_by()] == [run.id]
