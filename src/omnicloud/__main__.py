from omnicloud.cli import entry

entry()
