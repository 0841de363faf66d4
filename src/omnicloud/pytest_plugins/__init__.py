"""pytest sub-plugins: every module here is loaded by ``omnicloud.plugin``."""
