"""pytest sub-plugins: every module here is loaded by ``omnicloud.plugin``."""

#: Set in the processes ``omnicloud.triage.flakes`` starts to re-run failures: a re-run must not
#: re-run again. Here, not in either module, so both import it without importing each other.
RERUN_CHILD_ENV = "OMNICLOUD_RERUN_CHILD"
