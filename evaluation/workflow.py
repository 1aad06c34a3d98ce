"""The monthly form's workflow as data: statuses, actions, and who may take each (pure, no database).

DOMAIN.md section 4. The services look an action up here, check the actor's role with
`orgchart.access`, then apply it as a compare-and-swap on (status, version).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    RETURNED = "returned"
    DECIDED = "decided"
    PUBLISHED = "published"
    LOCKED = "locked"
    NOT_EVALUATED = "not_evaluated"


class Actor(StrEnum):
    """The role an actor holds towards one form (derived from the org chart, never stored)."""

    EMPLOYEE = "employee"  # the person the form is about
    MANAGER = "manager"  # direct manager or delegated reviewer
    DECIDER = "decider"  # head of the agency, the level above for a head, or an acting head
    APPEAL = "appeal"  # the level above the decider, who handles complaints
    SYSTEM = "system"  # scheduled jobs


class Action(StrEnum):
    SAVE = "save"
    SUBMIT = "submit"
    REVIEW = "review"
    RETURN = "return"
    DECIDE = "decide"
    NOT_EVALUATED = "not_evaluated"
    PUBLISH = "publish"
    LOCK = "lock"
    ACKNOWLEDGE = "acknowledge"
    COMPLAIN = "complain"
    REVISE = "revise"  # a complaint outcome that changes the result: a new, locked revision


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status
    actors: frozenset[Actor]
    needs_comment: bool = False


S, A = Status, Actor
BEFORE_DECISION = frozenset({S.DRAFT, S.SUBMITTED, S.REVIEWED, S.RETURNED})

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(Action.SAVE, frozenset({S.DRAFT, S.RETURNED}), S.DRAFT, frozenset({A.EMPLOYEE})),
        Transition(Action.SUBMIT, frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, frozenset({A.EMPLOYEE})),
        # A manager may review a form that was never submitted (no self-assessment, recorded as such).
        Transition(Action.REVIEW, frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED}), S.REVIEWED, frozenset({A.MANAGER})),
        Transition(
            Action.RETURN,
            frozenset({S.SUBMITTED, S.REVIEWED}),
            S.RETURNED,
            frozenset({A.MANAGER, A.DECIDER}),
            needs_comment=True,
        ),
        Transition(Action.DECIDE, BEFORE_DECISION | {S.DECIDED}, S.DECIDED, frozenset({A.DECIDER})),
        Transition(
            Action.NOT_EVALUATED,
            BEFORE_DECISION | {S.DECIDED},
            S.NOT_EVALUATED,
            frozenset({A.DECIDER}),
            needs_comment=True,
        ),
        Transition(Action.PUBLISH, frozenset({S.DECIDED, S.NOT_EVALUATED}), S.PUBLISHED, frozenset({A.DECIDER})),
        Transition(Action.LOCK, frozenset({S.PUBLISHED}), S.LOCKED, frozenset({A.SYSTEM})),
        Transition(Action.ACKNOWLEDGE, frozenset({S.PUBLISHED}), S.PUBLISHED, frozenset({A.EMPLOYEE})),
        Transition(Action.COMPLAIN, frozenset({S.PUBLISHED}), S.PUBLISHED, frozenset({A.EMPLOYEE}), needs_comment=True),
        # The old revision is never changed: the outcome is a new revision, final at once.
        Transition(
            Action.REVISE, frozenset({S.PUBLISHED, S.LOCKED}), S.LOCKED, frozenset({A.APPEAL}), needs_comment=True
        ),
    )
}

# Statuses in which nothing may change any more except through a complaint outcome.
FINAL = frozenset({S.LOCKED})
# Statuses that count as "done" for the unit's publication.
READY_TO_PUBLISH = frozenset({S.DECIDED, S.NOT_EVALUATED})


def allowed(action: Action, status: Status, actors: set[Actor] | frozenset[Actor]) -> bool:
    """May someone holding `actors` take `action` on a form in `status`?"""
    transition = TRANSITIONS[action]
    return status in transition.sources and bool(transition.actors & set(actors))


def available_actions(status: Status, actors: set[Actor] | frozenset[Actor]) -> list[Action]:
    return [a for a in TRANSITIONS if allowed(a, status, actors)]


def target(action: Action) -> Status:
    return TRANSITIONS[action].target
