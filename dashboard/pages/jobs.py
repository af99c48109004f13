"""The jobs console: ``/jobs`` (every job, filtered and paginated) and ``/jobs/[job_uuid]``."""

import reflex as rx

from dashboard.components.flow_graph import flow_graph
from dashboard.components.job_tasks import task_run_list
from dashboard.components.quarantine_panel import quarantine_panel
from dashboard.components.studio_shell import (
    CARD,
    DANGER,
    GHOST,
    INPUT,
    PANEL_TITLE,
    PRIMARY,
    SECONDARY,
    crumb,
    empty_state,
    error_banner,
    page_header,
    state_chip,
    studio_page,
)
from dashboard.state.jobs import STATUSES, TIME_WINDOWS
from dashboard.state.jobs import JobDetailState as Detail
from dashboard.state.jobs import JobListState as Jobs
from dashboard.state.quarantine import QuarantineState
from dashboard.state.studio import StudioState

LIST_ON_LOAD = [StudioState.check_access, Jobs.load_page, QuarantineState.load_quarantine]
DETAIL_ROUTE = "/jobs/[job_uuid]"
DETAIL_ON_LOAD = [StudioState.check_access, Detail.load_page]

_SOURCE_GONE = "(e) => { e.currentTarget.hidden = true; e.currentTarget.nextElementSibling.hidden = false; }"

TH = "px-3 py-2 text-left text-[11px] font-semibold uppercase tracking-wide text-slate-500"
TD = "px-3 py-2 align-top"


def _select(element_id: str, label: str, value, on_change, *options: rx.Component) -> rx.Component:
    return rx.el.div(
        rx.el.label(
            label, html_for=element_id, class_name="mb-1 block text-[11px] font-medium text-slate-500"
        ),
        rx.el.select(*options, id=element_id, value=value, on_change=on_change, class_name=INPUT),
        class_name="min-w-0 flex-1 sm:max-w-xs",
    )


def filters() -> rx.Component:
    """Workflow, status and time filters."""
    return rx.el.div(
        _select(
            "filter-workflow",
            "Workflow",
            Jobs.workflow_filter,
            Jobs.set_workflow_filter,
            rx.el.option("All workflows", value=""),
            rx.foreach(Jobs.workflows, lambda w: rx.el.option(w.name, value=w.id)),
        ),
        _select(
            "filter-status",
            "Status",
            Jobs.status_filter,
            Jobs.set_status_filter,
            rx.el.option("Any status", value=""),
            *[rx.el.option(status, value=status) for status in STATUSES],
        ),
        _select(
            "filter-time",
            "Created",
            Jobs.time_filter,
            Jobs.set_time_filter,
            *[rx.el.option(label, value=value) for value, (label, _) in TIME_WINDOWS.items()],
        ),
        rx.el.button(
            rx.icon("refresh-cw", class_name="h-4 w-4"),
            "Refresh",
            type="button",
            id="refresh-jobs",
            on_click=Jobs.refresh,
            class_name=SECONDARY + " self-end",
        ),
        class_name="mb-4 flex flex-col gap-3 sm:flex-row sm:items-end",
    )


def job_line(row) -> rx.Component:
    """One job in the table."""
    return rx.el.tr(
        rx.el.td(state_chip(row.state), class_name=TD),
        rx.el.td(
            rx.el.a(
                row.uuid,
                href="/jobs/" + row.uuid,
                title=row.uuid,
                class_name="block max-w-[7rem] truncate font-mono text-xs text-indigo-700 hover:underline "
                "sm:max-w-none",
            ),
            rx.cond(
                row.reason != "",
                rx.el.p(row.reason, class_name="mt-0.5 max-w-md wrap-anywhere text-xs text-rose-700"),
            ),
            class_name=TD,
        ),
        rx.el.td(
            rx.el.a(
                row.workflow_name,
                href="/workflows/" + row.workflow_id,
                class_name="wrap-anywhere text-sm text-slate-800 hover:text-indigo-700",
            ),
            class_name=TD,
        ),
        rx.el.td(
            rx.el.code(row.source, class_name="wrap-anywhere font-mono text-xs text-slate-600"),
            class_name=TD + " hidden md:table-cell",
        ),
        rx.el.td(row.progress, class_name=TD + " font-mono text-xs tabular-nums text-slate-600"),
        rx.el.td(row.duration, class_name=TD + " font-mono text-xs tabular-nums text-slate-600"),
        rx.el.td(
            row.created, class_name=TD + " hidden whitespace-nowrap text-xs text-slate-500 lg:table-cell"
        ),
        id="job-" + row.uuid,
        class_name="border-t border-slate-100 hover:bg-slate-50",
    )


def jobs_table() -> rx.Component:
    """The page of jobs, newest first, with paging."""
    return rx.el.div(
        rx.el.div(
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        rx.el.th("Status", class_name=TH),
                        rx.el.th("Job", class_name=TH),
                        rx.el.th("Workflow", class_name=TH),
                        rx.el.th("Source", class_name=TH + " hidden md:table-cell"),
                        rx.el.th("Tasks", class_name=TH),
                        rx.el.th("Took", class_name=TH),
                        rx.el.th("Created", class_name=TH + " hidden lg:table-cell"),
                    ),
                    class_name="bg-slate-50",
                ),
                rx.el.tbody(rx.foreach(Jobs.rows, job_line)),
                id="jobs-table",
                class_name="w-full",
            ),
            # A region the keyboard can scroll when the table is wider than a phone.
            tab_index=0,
            role="region",
            aria_label="Jobs, scrollable",
            class_name="overflow-x-auto focus:outline-none focus-visible:ring-2 focus-visible:ring-inset "
            "focus-visible:ring-indigo-600",
        ),
        rx.el.div(
            rx.el.span("Page ", Jobs.page.to_string(), class_name="text-xs text-slate-500", id="jobs-page"),
            rx.el.div(
                rx.el.button(
                    rx.icon("chevron-left", class_name="h-4 w-4"),
                    "Newer",
                    type="button",
                    id="jobs-newer",
                    disabled=Jobs.page <= 1,
                    on_click=Jobs.previous_page,
                    class_name=SECONDARY + " text-xs",
                ),
                rx.el.button(
                    "Older",
                    rx.icon("chevron-right", class_name="h-4 w-4"),
                    type="button",
                    id="jobs-older",
                    disabled=~Jobs.has_next,
                    on_click=Jobs.next_page,
                    class_name=SECONDARY + " text-xs",
                ),
                class_name="flex gap-2",
            ),
            class_name="flex items-center justify-between border-t border-slate-100 px-3 py-2",
        ),
        class_name=CARD + " overflow-hidden",
    )


def jobs_page() -> rx.Component:
    """The page at ``/jobs``."""
    return studio_page(
        page_header("Jobs", "Every workflow job, newest first: its tasks, results and webhook deliveries."),
        filters(),
        error_banner(Jobs.error),
        rx.cond(
            Jobs.rows.length() > 0,
            jobs_table(),
            rx.cond(
                Jobs.loading,
                rx.el.p("Loading…", class_name="text-sm text-slate-500"),
                empty_state("inbox", "No jobs", "No job matches these filters."),
            ),
        ),
        quarantine_panel(),
    )


def _fact(label: str, value, element_id: str = "") -> rx.Component:
    return rx.el.div(
        rx.el.dt(label, class_name="text-[11px] font-medium uppercase tracking-wide text-slate-500"),
        rx.el.dd(value, id=element_id or None, class_name="mt-0.5 break-words text-sm text-slate-800"),
    )


def attempt_line(row) -> rx.Component:
    """One webhook delivery attempt."""
    return rx.el.tr(
        rx.el.td(row.attempt.to_string(), class_name=TD + " font-mono text-xs"),
        rx.el.td(
            rx.el.span(
                row.status,
                class_name=rx.cond(
                    row.delivered, "font-medium text-emerald-700", "font-medium text-rose-700"
                ),
            ),
            class_name=TD + " whitespace-nowrap text-xs",
        ),
        rx.el.td(row.duration, class_name=TD + " whitespace-nowrap font-mono text-xs tabular-nums"),
        rx.el.td(row.error, class_name=TD + " break-words text-xs text-rose-700"),
        rx.el.td(row.at, class_name=TD + " hidden whitespace-nowrap text-xs text-slate-500 xl:table-cell"),
        class_name="webhook-attempt border-t border-slate-100",
    )


def webhook_panel() -> rx.Component:
    """Every delivery attempt of the job's webhook."""
    return rx.el.section(
        rx.el.h2("Webhook", class_name=PANEL_TITLE),
        rx.cond(
            Detail.webhook != "",
            rx.el.p(
                rx.el.code(Detail.webhook, class_name="font-mono text-xs"),
                class_name="mt-1 break-all text-slate-600",
            ),
            rx.el.p("This workflow has no webhook.", class_name="mt-1 text-xs text-slate-500"),
        ),
        rx.cond(
            Detail.attempts.length() > 0,
            rx.el.div(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            rx.el.th("#", class_name=TH),
                            rx.el.th("Status", class_name=TH),
                            rx.el.th("Took", class_name=TH),
                            rx.el.th("Error", class_name=TH),
                            rx.el.th("At", class_name=TH + " hidden xl:table-cell"),
                        )
                    ),
                    rx.el.tbody(rx.foreach(Detail.attempts, attempt_line)),
                    id="webhook-attempts",
                    class_name="w-full",
                ),
                tab_index=0,
                role="region",
                aria_label="Webhook attempts, scrollable",
                class_name="mt-2 overflow-x-auto focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600",
            ),
            rx.cond(
                Detail.webhook != "", rx.el.p("No attempt yet.", class_name="mt-2 text-xs text-slate-500")
            ),
        ),
        class_name=f"{CARD} p-4",
    )


def _confirm(question: str, keep: str, confirm_id: str, label: str, on_confirm, style: str) -> rx.Component:
    return rx.el.div(
        rx.el.span(question, class_name="text-xs text-slate-700"),
        rx.el.button(keep, type="button", on_click=Detail.ask(""), class_name=GHOST + " text-xs"),
        rx.el.button(label, type="button", id=confirm_id, on_click=on_confirm, class_name=style + " text-xs"),
        role="alertdialog",
        class_name="flex flex-wrap items-center gap-1 rounded-md bg-slate-100 px-2 py-1",
    )


def job_actions() -> rx.Component:
    """Cancel (while the job runs) and replay, each asked twice."""
    return rx.cond(
        Detail.found,
        rx.match(
            Detail.confirming,
            (
                "cancel",
                _confirm(
                    "Cancel this job? Its running tasks are stopped.",
                    "Keep running",
                    "confirm-cancel-job",
                    "Cancel job",
                    Detail.cancel_job,
                    DANGER,
                ),
            ),
            (
                "replay",
                _confirm(
                    "Run this job's workflow again on the same source, as a new job?",
                    "Not now",
                    "confirm-replay-job",
                    "Replay",
                    Detail.replay_job,
                    PRIMARY,
                ),
            ),
            rx.el.div(
                rx.cond(
                    (Detail.state == "pending") | (Detail.state == "running"),
                    rx.el.button(
                        rx.icon("circle-stop", class_name="h-4 w-4"),
                        "Cancel job",
                        type="button",
                        id="cancel-job",
                        disabled=Detail.acting,
                        on_click=Detail.ask("cancel"),
                        class_name=DANGER,
                    ),
                ),
                rx.el.button(
                    rx.icon("rotate-ccw", class_name="h-4 w-4"),
                    "Replay",
                    type="button",
                    id="replay-job",
                    disabled=Detail.acting,
                    on_click=Detail.ask("replay"),
                    class_name=SECONDARY,
                ),
                class_name="flex gap-2",
            ),
        ),
    )


def _job_link(uuid) -> rx.Component:
    return rx.el.a(
        uuid,
        href="/jobs/" + uuid,
        class_name="block truncate font-mono text-xs text-indigo-700 hover:underline",
    )


def lineage() -> rx.Component:
    """The job this one replays, and the jobs that replay it."""
    return rx.cond(
        (Detail.replay_of != "") | (Detail.replays.length() > 0),
        rx.el.div(
            rx.cond(
                Detail.replay_of != "",
                rx.el.p(
                    rx.icon("rotate-ccw", class_name="h-3.5 w-3.5 shrink-0"),
                    rx.el.span("Replay of", class_name="shrink-0"),
                    rx.el.a(
                        Detail.replay_of,
                        href="/jobs/" + Detail.replay_of,
                        id="replay-of",
                        class_name="truncate font-mono text-indigo-700 hover:underline",
                    ),
                    class_name="flex min-w-0 items-center gap-1.5 text-xs text-slate-600",
                ),
            ),
            rx.cond(
                Detail.replays.length() > 0,
                rx.el.div(
                    rx.el.p("Replayed as", class_name="text-xs text-slate-600"),
                    rx.el.div(rx.foreach(Detail.replays, _job_link), id="job-replays", class_name="min-w-0"),
                    class_name="flex min-w-0 gap-1.5",
                ),
            ),
            class_name="mt-3 flex flex-col gap-1 border-t border-slate-100 pt-3",
        ),
    )


def status_reason() -> rx.Component:
    """Why the job failed, or who cancelled it."""
    return rx.cond(
        Detail.status_text != "",
        rx.cond(
            Detail.cancelled_by != "",
            rx.el.p(
                rx.icon("ban", class_name="h-4 w-4 shrink-0"),
                rx.el.span(Detail.status_text, id="job-reason"),
                id="job-cancelled",
                class_name="mt-3 flex items-center gap-2 rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700",
            ),
            rx.el.p(
                Detail.status_text,
                id="job-reason",
                class_name="mt-3 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800",
            ),
        ),
    )


def job_detail_page() -> rx.Component:
    """The page at ``/jobs/[job_uuid]``."""
    return studio_page(
        page_header(
            rx.el.span("Job ", rx.el.code(Detail.job_uuid, class_name="font-mono text-base sm:text-lg")),
            rx.el.span(Detail.workflow_name),
            rx.cond(Detail.found, state_chip(Detail.state, "job-state")),
            job_actions(),
            crumbs=crumb("Jobs", "/jobs"),
        ),
        error_banner(Detail.error),
        rx.cond(
            Detail.found,
            rx.el.div(
                rx.el.div(
                    rx.el.section(
                        rx.el.div(
                            rx.cond(
                                Detail.source_thumb != "",
                                rx.el.div(
                                    rx.el.img(
                                        src=Detail.source_thumb,
                                        alt="The job's source photo",
                                        # A source deleted after the job (a saved profile photo's original) says so.
                                        custom_attrs={"onError": rx.Var(_SOURCE_GONE)},
                                        class_name="h-16 w-16 rounded-md object-cover",
                                    ),
                                    rx.el.span(
                                        "Source deleted or held",
                                        hidden=True,
                                        class_name="flex h-16 w-16 items-center justify-center rounded-md bg-slate-100 "
                                        "p-1 text-center text-[11px] leading-tight text-slate-600",
                                    ),
                                    class_name="shrink-0",
                                ),
                            ),
                            rx.el.dl(
                                _fact(
                                    "Workflow",
                                    rx.el.a(
                                        Detail.workflow_name,
                                        href="/workflows/" + Detail.workflow_id,
                                        class_name="text-indigo-700 hover:underline",
                                    ),
                                ),
                                _fact(
                                    "Source",
                                    rx.el.code(Detail.source, class_name="break-all font-mono text-xs"),
                                    "job-source",
                                ),
                                _fact("Created", Detail.created),
                                _fact("Took", Detail.duration, "job-duration"),
                                class_name="grid flex-1 grid-cols-2 gap-3 sm:grid-cols-4",
                            ),
                            class_name="flex gap-4",
                        ),
                        status_reason(),
                        lineage(),
                        rx.cond(
                            Detail.started_by != "",
                            rx.el.p(
                                rx.icon("upload", class_name="mt-0.5 h-3.5 w-3.5 shrink-0"),
                                rx.el.span(Detail.started_by, class_name="wrap-anywhere"),
                                id="job-trigger",
                                class_name="mt-3 flex gap-1.5 text-xs text-slate-600",
                            ),
                        ),
                        class_name=f"{CARD} p-4",
                    ),
                    rx.el.section(
                        rx.el.h2("Tasks", class_name=PANEL_TITLE),
                        task_run_list(Detail.rows, "job", "This job has no tasks."),
                        class_name=f"{CARD} p-4",
                    ),
                    class_name="flex min-w-0 flex-col gap-4 lg:col-span-3",
                ),
                rx.el.div(
                    rx.el.section(
                        rx.el.h2("Graph", class_name=PANEL_TITLE + " mb-2"),
                        flow_graph(
                            Detail.graph_nodes,
                            Detail.graph_edges,
                            key=Detail.job_uuid,
                            element_id="job-graph",
                            height="h-64",
                        ),
                        class_name=f"{CARD} p-4",
                    ),
                    webhook_panel(),
                    class_name="flex min-w-0 flex-col gap-4 lg:col-span-2",
                ),
                class_name="grid grid-cols-1 gap-4 lg:grid-cols-5",
            ),
        ),
    )
