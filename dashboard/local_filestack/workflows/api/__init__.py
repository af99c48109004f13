"""The workflow endpoints: the Workflows REST API and the CDN's run_workflow / workflow_status."""
