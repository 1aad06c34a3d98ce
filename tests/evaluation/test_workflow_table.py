"""The transition table, exhaustively: every status × every actor × every action."""

import itertools

import pytest

from evaluation.workflow import TRANSITIONS, Action, Actor, Status, allowed, available_actions

EXPECTED = {
    # action: {status: actors allowed}
    Action.SAVE: {Status.DRAFT: {Actor.EMPLOYEE}, Status.RETURNED: {Actor.EMPLOYEE}},
    Action.SUBMIT: {Status.DRAFT: {Actor.EMPLOYEE}, Status.RETURNED: {Actor.EMPLOYEE}},
    Action.REVIEW: {s: {Actor.MANAGER} for s in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)},
    Action.RETURN: {s: {Actor.MANAGER, Actor.DECIDER} for s in (Status.SUBMITTED, Status.REVIEWED)},
    Action.DECIDE: {
        s: {Actor.DECIDER} for s in (Status.DRAFT, Status.SUBMITTED, Status.REVIEWED, Status.RETURNED, Status.DECIDED)
    },
    Action.NOT_EVALUATED: {
        s: {Actor.DECIDER} for s in (Status.DRAFT, Status.SUBMITTED, Status.REVIEWED, Status.RETURNED, Status.DECIDED)
    },
    Action.PUBLISH: {Status.DECIDED: {Actor.DECIDER}, Status.NOT_EVALUATED: {Actor.DECIDER}},
    Action.LOCK: {Status.PUBLISHED: {Actor.SYSTEM}},
    Action.ACKNOWLEDGE: {Status.PUBLISHED: {Actor.EMPLOYEE}},
    Action.COMPLAIN: {Status.PUBLISHED: {Actor.EMPLOYEE}},
    Action.REVISE: {Status.PUBLISHED: {Actor.APPEAL}, Status.LOCKED: {Actor.APPEAL}},
}


@pytest.mark.parametrize(
    ("action", "status", "actor"), list(itertools.product(list(Action), list(Status), list(Actor)))
)
def test_every_status_actor_action(action, status, actor):
    expected = actor in EXPECTED[action].get(status, set())
    assert allowed(action, status, {actor}) is expected


def test_nothing_leaves_a_locked_form_but_a_complaint_revision():
    for actor in Actor:
        assert set(available_actions(Status.LOCKED, {actor})) <= {Action.REVISE}


def test_every_action_is_in_the_table():
    assert set(TRANSITIONS) == set(Action)


def test_no_actor_means_no_action():
    assert all(not available_actions(status, set()) for status in Status)
