"""Projects: run an ``MLproject`` entry point reproducibly, as a tracked run.

    import autolog.projects
    submitted = autolog.projects.run("path/to/project", entry_point="train", parameters={"alpha": 0.5})
    submitted.run_id, submitted.status          # FINISHED

or from a shell, ``autolog run path/to/project -e train -P alpha=0.5`` and ``autolog rerun RUN_ID``.
The project's code calls ``autolog.autolog()`` as any script does; its fits and Trainer runs log
into the project's run (``AUTOLOG_RUN_ID``). See :mod:`autolog.projects.spec` for the MLproject
rules, :mod:`autolog.projects.fetch` for URIs and versions, :mod:`autolog.projects.environments`
for environment managers and :mod:`autolog.projects.runner` for the run's lifecycle.
"""

from autolog.projects.runner import SubmittedRun, rerun, run
from autolog.projects.spec import EntryPoint, ExecutionError, Parameter, Project, load_project

__all__ = ["EntryPoint", "ExecutionError", "Parameter", "Project", "SubmittedRun", "load_project", "rerun", "run"]
