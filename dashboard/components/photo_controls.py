"""The controls of an upload running in the browser: the last photo chosen wins, Cancel, refused files
summarised before they reach the websocket, Dismiss for a failure, and "leave the page?" while a file is sent.

Reflex keeps one upload per upload id (``refs["__upload_controllers_<id>"]``, an AbortController, the
one ``rx.cancel_upload`` aborts) and silently drops a new upload while one with the same id runs.
So each photo chosen gets an upload id of its own (``avatar-upload:<random>``), computed in the
browser at the moment of choosing, and computing it first aborts every upload of the slot still
running: the earlier upload is cancelled, synchronously, before the new one starts.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.vars import Var

from dashboard.slot_phase import SlotPhase
from dashboard.state.photo_notice import INTERRUPTED_KEY, InterruptedUploadState

FOCUS_RING = (
    "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-1"
)

#: Marks an element present only while a file is being sent (the "leave the page?" guard looks for it).
SENDING_MARK = "data-photo-sending"

#: Asks before leaving the page while a photo is being sent, and notes a left upload so the next
#: page can say so (registered once per page load).
LEAVE_GUARD = f"""
if (!window.__photoLeaveGuard) {{
  window.__photoLeaveGuard = true;
  window.addEventListener("beforeunload", (event) => {{
    if (document.querySelector("[{SENDING_MARK}]")) {{
      event.preventDefault();
      event.returnValue = "";
    }}
  }});
  window.addEventListener("pagehide", () => {{
    const sending = document.querySelector("[{SENDING_MARK}]");
    if (sending) {{
      window.sessionStorage.setItem({json.dumps(INTERRUPTED_KEY)}, sending.getAttribute("{SENDING_MARK}"));
    }}
  }});
}}
"""


def abort_slot_uploads(upload_id: str) -> str:
    """JavaScript: abort every upload of the slot still running (as ``rx.cancel_upload`` does for one id)."""
    prefix = json.dumps(f"__upload_controllers_{upload_id}:")
    return f"Object.keys(refs).filter((key) => key.startsWith({prefix})).forEach((key) => refs[key]?.abort())"


def fresh_upload_id(upload_id: str) -> rx.Var:
    """An upload id of its own for each photo chosen; computing it cancels the slot's running uploads."""
    refs_import = Var("__photo_refs")._as_ref()._get_all_var_data()
    return Var(
        f"((() => {{ {abort_slot_uploads(upload_id)};"
        f" return {json.dumps(upload_id + ':')} + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);"
        " })())",
        _var_data=refs_import,
    ).to(str)


def rejection_summary(rejections: rx.Var) -> rx.Var:
    """Only each refused file's name, size, type and reasons' codes: never the file itself over the websocket."""
    return rx.Var(
        f"(({rejections}) || []).map((rejection) => ({{"
        " name: rejection.file?.name ?? '', size: rejection.file?.size ?? 0, type: rejection.file?.type ?? '',"
        " codes: (rejection.errors || []).map((error) => error.code) }))"
    ).to(list[dict[str, Any]])


def cancel_button(state: Any, slot: str, upload_id: str) -> rx.Component:
    """Cancel (``#{slot}-cancel``), while the browser sends the file."""
    return rx.cond(
        state.phase == SlotPhase.UPLOADING.value,
        rx.el.button(
            "Cancel upload",
            id=f"{slot}-cancel",
            type="button",
            on_click=[rx.call_script(abort_slot_uploads(upload_id)), state.cancel_upload],
            custom_attrs={SENDING_MARK: slot},
            class_name=(
                "self-start rounded-md px-3 py-1.5 text-xs font-semibold text-slate-700 ring-1 ring-slate-300 "
                "hover:bg-slate-50 " + FOCUS_RING
            ),
        ),
    )


def dismiss_button(state: Any, slot: str) -> rx.Component:
    """Dismiss (``#{slot}-dismiss``) a failure or a refusal: the message goes, also on later visits."""
    return rx.cond(
        (state.phase == SlotPhase.FAILED.value) | (state.phase == SlotPhase.REJECTED.value),
        rx.el.button(
            "Dismiss",
            id=f"{slot}-dismiss",
            type="button",
            on_click=state.dismiss,
            class_name=(
                "self-start rounded-md px-3 py-1.5 text-xs font-medium text-slate-700 ring-1 ring-slate-300 "
                "hover:bg-slate-50 " + FOCUS_RING
            ),
        ),
    )


def leave_guard() -> rx.Component:
    """The "leave the page?" prompt while a photo is being sent, and the notice after an upload was left."""
    return rx.fragment(
        rx.script(LEAVE_GUARD),
        rx.cond(
            InterruptedUploadState.interrupted_text != "",
            rx.el.div(
                rx.el.p(InterruptedUploadState.interrupted_text, class_name="text-sm"),
                rx.el.button(
                    "OK",
                    id="interrupted-dismiss",
                    type="button",
                    on_click=InterruptedUploadState.dismiss,
                    class_name="shrink-0 rounded-md px-3 py-1 text-sm font-semibold ring-1 ring-amber-300 "
                    "hover:bg-amber-100 " + FOCUS_RING,
                ),
                id="upload-interrupted",
                role="status",
                class_name="mb-4 flex items-center justify-between gap-3 rounded-xl bg-amber-50 px-4 py-3 "
                "text-amber-900 ring-1 ring-amber-200",
            ),
        ),
    )


def name_file_input(zone: rx.Component, label: str) -> rx.Component:
    """``rx.upload.root`` renders ``<div {...getRootProps()}><input {...getInputProps()}/>…``: name the input."""
    file_input = zone.children[0].children[0]
    file_input.custom_attrs["aria-label"] = label
    return zone
