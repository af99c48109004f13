"""The Workflows REST API's generated OpenAPI document and its Swagger UI page, and the API's
answers held to the document's response models (so the document cannot drift from them)."""

from __future__ import annotations

import json
from pathlib import Path

from local_service import image_bytes, uploaded_handle
from webhook_receiver import receiving
from workflow_support import AUTH, REST, running_workflows

from dashboard.local_filestack.workflows.api.openapi import (
    ENDPOINTS,
    JobResource,
    JobWebhookBody,
    JobWebhooks,
    WorkflowResource,
    openapi_document,
)

THUMB = {"id": "thumb", "action": "process", "params": {"tasks": "resize=width:32/store"}}


def test_the_document_lists_every_route_and_its_schemas() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    for endpoint in ENDPOINTS:
        assert endpoint.method in document["paths"][endpoint.path]
    schemas = document["components"]["schemas"]
    assert {"Workflow", "JobRequest", "JobResource", "WorkflowResource", "ErrorBody"} <= set(schemas)
    assert (
        schemas["Workflow"]["properties"]["tasks"]["minItems"] == 1
    )  # from the model the API validates with
    assert "JobWebhookBody" in json.dumps(document["webhooks"])
    # A workflow's own webhook secret is sent, never shown.
    assert schemas["Workflow"]["properties"]["webhook_secret"]["writeOnly"] is True
    assert "webhook_secret" not in schemas["WorkflowResource"]["properties"]


async def test_answers_match_the_documented_models(tmp_path: Path) -> None:
    with receiving([]) as receiver:
        async with running_workflows(tmp_path, allow_private_fetch=True) as running:
            handle = await uploaded_handle(running.client, image_bytes(120, 80))
            created = await running.client.post(
                f"{REST}/workflows",
                auth=AUTH,
                json={"name": "doc", "tasks": [THUMB], "webhook": receiver.url},
            )
            WorkflowResource.model_validate(created.json())
            started = await running.client.post(
                f"{REST}/jobs", auth=AUTH, json={"workflow": created.json()["id"], "handle": handle}
            )
            JobResource.model_validate(started.json())
            await running.workflows.wait_for_job(started.json()["uuid"])
            await running.workflows.webhooks.wait_idle()
            job = await running.client.get(f"{REST}/jobs/{started.json()['uuid']}", auth=AUTH)
            JobResource.model_validate(job.json())
            hooks = await running.client.get(f"{REST}/jobs/{started.json()['uuid']}/webhooks", auth=AUTH)
            JobWebhooks.model_validate(hooks.json())
            served = await running.client.get(f"{REST}/openapi.json")
            page = await running.client.get(f"{REST}/docs")
            asset = await running.client.get(f"{REST}/docs/assets/swagger-ui-bundle.js")
            outside = await running.client.get(f"{REST}/docs/assets/package.json")
    assert len(receiver.deliveries) == 1
    JobWebhookBody.model_validate(json.loads(receiver.deliveries[0].body))
    assert served.status_code == 200 and served.json() == openapi_document()  # public, no auth
    assert page.status_code == 200 and "docs/assets/swagger-ui-bundle.js" in page.text
    assert asset.status_code == 200 and "SwaggerUIBundle" in asset.text
    assert outside.status_code == 404
