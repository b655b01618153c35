"""Classroom: the instructor starts a class, watches the room's predictions and reveals them."""

from attention.dashboard.classroom_view import page

page()
