"""Workflows and jobs as values: definitions, conditions, action contracts, the DAG scheduler, the shipped workflows. Pure."""
