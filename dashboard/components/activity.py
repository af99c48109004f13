"""The activity panel: your recent photo jobs, their status, duration and task outcomes."""

import reflex as rx

from dashboard.models import JobStatus, Slot
from dashboard.state import ActivityState, AvatarState, CoverState
from dashboard.state.rows import ActivityRow

BADGE = "rounded-full px-2 py-0.5 text-xs font-medium "


def _retry_button(job: ActivityRow) -> rx.Component:
    """Run a failed job's workflow again on its kept original."""
    button_class = (
        "rounded-md px-2 py-1 text-xs font-semibold text-rose-700 ring-1 ring-rose-200 hover:bg-rose-50 "
        "focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-600"
    )
    label = "Retry: " + job.alt
    return rx.cond(
        job.can_retry,
        rx.cond(
            job.slot == Slot.AVATAR.value,
            rx.el.button(
                "Retry",
                type="button",
                aria_label=label,
                on_click=AvatarState.retry_job(job.id),
                class_name=button_class,
            ),
            rx.el.button(
                "Retry",
                type="button",
                aria_label=label,
                on_click=CoverState.retry_job(job.id),
                class_name=button_class,
            ),
        ),
    )


def job_row(job: ActivityRow) -> rx.Component:
    """One job."""
    return rx.el.li(
        rx.cond(
            job.thumb != "",
            rx.el.img(src=job.thumb, alt=job.alt, class_name="h-10 w-10 shrink-0 rounded-md object-cover"),
            rx.el.div(class_name="h-10 w-10 shrink-0 rounded-md bg-slate-200", aria_hidden="true"),
        ),
        rx.el.div(
            rx.el.div(
                rx.el.span(job.workflow, class_name="font-medium text-slate-900"),
                rx.el.span(job.filename, class_name="truncate text-slate-600"),
                class_name="flex min-w-0 gap-2 text-sm",
            ),
            rx.el.div(
                rx.el.span(job.when, class_name="whitespace-nowrap"),
                rx.el.span(job.duration, class_name="whitespace-nowrap"),
                rx.el.span(job.tasks, class_name="truncate"),
                class_name="flex min-w-0 gap-3 text-xs text-slate-600",
            ),
            rx.cond(job.error != "", rx.el.p(job.error, class_name="text-xs text-rose-700 wrap-anywhere")),
            class_name="flex min-w-0 flex-1 flex-col gap-0.5",
        ),
        rx.el.div(
            _retry_button(job),
            rx.el.span(
                job.status_label,
                class_name=rx.match(
                    job.status,
                    (JobStatus.FINISHED.value, BADGE + "bg-emerald-100 text-emerald-800"),
                    (JobStatus.FAILED.value, BADGE + "bg-rose-100 text-rose-800"),
                    (JobStatus.PROCESSING.value, BADGE + "bg-amber-100 text-amber-800"),
                    BADGE + "bg-slate-100 text-slate-700",
                ),
            ),
            class_name="flex shrink-0 items-center gap-2",
        ),
        class_name="flex items-center gap-3 py-2.5",
    )


def activity_panel() -> rx.Component:
    """Your recent jobs, newest first."""
    return rx.el.section(
        rx.el.div(
            rx.el.h2(
                "Activity",
                id="activity-title",
                class_name="text-sm font-semibold uppercase tracking-wide text-slate-600",
            ),
            rx.el.button(
                "Refresh",
                type="button",
                aria_label="Refresh activity",
                on_click=ActivityState.refresh,
                class_name=(
                    "rounded-md px-2 py-1 text-xs text-slate-600 hover:bg-slate-100 focus:outline-none "
                    "focus-visible:ring-2 focus-visible:ring-indigo-600"
                ),
            ),
            class_name="flex items-center justify-between",
        ),
        rx.cond(
            ActivityState.jobs.length() > 0,
            rx.el.ul(
                rx.foreach(ActivityState.jobs, job_row),
                id="activity-list",
                class_name="divide-y divide-slate-100",
            ),
            rx.el.p("No photos processed yet.", class_name="text-sm text-slate-600"),
        ),
        class_name="flex min-w-0 flex-col gap-2 rounded-xl border border-slate-200 bg-white p-5 shadow-sm",
        aria_labelledby="activity-title",
    )
