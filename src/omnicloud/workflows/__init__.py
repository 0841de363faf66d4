"""Cross-application workflows: steps with dependencies and data flowing between them.

``engine.run_workflow`` runs one; ``flow.FlowStore`` carries values between steps;
``graph.execution_waves`` orders steps; ``report`` renders the timeline.
"""
