"""The app: pages registered, the embedded service mounted. Wiring only."""

import reflex as rx


def index() -> rx.Component:
    return rx.el.div(rx.el.h1("Profile", id="profile-name", class_name="text-2xl font-semibold"), class_name="p-8")


app = rx.App()
app.add_page(index, route="/")
