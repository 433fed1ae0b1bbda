"""The words of the emails Hustings sends. Pure: links come in as strings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mail:
    """One message to send: the words come from here, the sending from app.services.mail."""

    to: str
    subject: str
    body: str


def password_reset(to: str, link: str, minutes: int) -> Mail:
    return Mail(
        to=to,
        subject="Reset your Hustings password",
        body=(
            "Someone (we hope you) asked to reset the password of your Hustings account.\n\n"
            f"Choose a new password here (the link works once, for {minutes} minutes):\n"
            f"{link}\n\n"
            "If you did not ask, ignore this message: your password stays as it is.\n"
        ),
    )


def signup_for_existing_account(to: str, login_link: str, forgot_link: str) -> Mail:
    return Mail(
        to=to,
        subject="Someone tried to create a Hustings account with your email",
        body=(
            "Someone (perhaps you) tried to sign up with this email, which already has a "
            "Hustings account, so nothing was changed.\n\n"
            f"Log in: {login_link}\n"
            f"Forgot your password? Reset it: {forgot_link}\n"
        ),
    )


def invitation(to: str, course_title: str, link: str, days: int) -> Mail:
    return Mail(
        to=to,
        subject=f"You are invited to {course_title} on Hustings",
        body=(
            f"Your instructor added you to the course {course_title} on Hustings.\n\n"
            f"Open this link to join (it works for {days} days):\n{link}\n\n"
            "If you already have a Hustings account, log in and accept the invitation on your "
            "course list. If you do not expect this, ignore this message.\n"
        ),
    )


def reset_by_instructor(to: str) -> Mail:
    return Mail(
        to=to,
        subject="Your instructor made a password-reset link for your Hustings account",
        body=(
            "An instructor of one of your courses made a one-time link to reset your Hustings "
            "password (they hand it to you in person). If you did not ask for it, tell them; "
            "your password stays as it is until the link is used.\n"
        ),
    )
