"""Third-party packages add tasks through the ``harness.tasks`` entry-point group."""
import subprocess
import sys
import textwrap


def test_installed_plugin_task_is_listed_and_runs(tmp_path, shared_data):
    site = tmp_path / "site"
    pkg = site / "my_plugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent('''
        from harness.data import DatasetSpec
        from harness_tasks.math import math_task

        TASKS = [math_task("amc23_copy", description="AMC 2023 again", size=40,
                           dataset=DatasetSpec("amc23/test.jsonl"))]
    '''))
    dist = site / "my_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[harness.tasks]\nmine = my_plugin:TASKS\n")
    env_path = f"{site}"
    listed = subprocess.run([sys.executable, "-m", "harness.cli", "tasks"], capture_output=True, text=True,
                            env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()]
    assert "amc23_copy" in names and "gsm8k" in names

    preds = tmp_path / "p.jsonl"
    preds.write_text('{"task": "amc23_copy", "doc_id": "amc23-0", "sample": 0, "output": "\\\\boxed{27}"}\n')
    run = subprocess.run([sys.executable, "-m", "harness.cli", "eval", "--backend", "replay", "--predictions", str(preds),
                          "--tasks", "amc23_copy", "--limit", "1", "--data-dir", str(shared_data),
                          "--output", str(tmp_path / "run"), "--no-progress"],
                         capture_output=True, text=True, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert "amc23_copy" in run.stdout and "100.0" in run.stdout
