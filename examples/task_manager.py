"""Loops created at runtime, one per user: personal reminders.

Miniature of the seed's ``TaskManager`` (``create_reminder_loop`` builds a new
``@tasks.loop(seconds=interval)`` per user and starts it; a reminder stops itself when the
user blocks the bot; ``!set_reminder`` / ``!stop_reminder`` / ``!reminder_status``
commands). There is no Discord here: ``chat`` is a module-level loop that replays a short
script of user commands, one every 2 seconds, so new rows appear in looptui's table as the
loops are created:

* alice sets a reminder, later replaces it with a slower one (the old loop is cancelled);
* bob's reminder calls ``stop()`` on itself when he blocks the bot (``Forbidden``);
* carol asks for three reminders (``count=3``): her loop finishes;
* dave asks for ten but cancels them early with ``!stop_reminder``;
* one command is rejected because the interval is too short.

The script is finite, so the number of loops stays small. Each dynamic loop gets a
readable ``name=`` (``reminder:alice``), which is what the table shows.

Run it with::

    looptui examples/task_manager.py
"""

import collections

from looptui import tasks


class Forbidden(Exception):
    """Stand-in for ``nextcord.Forbidden``: the user does not accept DMs from the bot."""


class FakeUser:
    def __init__(self, name: str, blocks_bot_after: int | None = None) -> None:
        self.name = name
        self.blocks_bot_after = blocks_bot_after
        self.received = 0

    async def send(self, text: str) -> None:
        if self.blocks_bot_after is not None and self.received >= self.blocks_bot_after:
            raise Forbidden(f"{self.name} has blocked the bot")
        self.received += 1
        print(f"DM to {self.name}: {text}")


class FakeBot:
    """Just enough of a bot: users by id."""

    def __init__(self) -> None:
        self.users = {
            1: FakeUser("alice"),
            2: FakeUser("bob", blocks_bot_after=2),
            3: FakeUser("carol"),
            4: FakeUser("dave"),
        }

    def get_user(self, user_id: int) -> FakeUser | None:
        return self.users.get(user_id)


class TaskManager:
    def __init__(self, bot: FakeBot) -> None:
        self.bot = bot
        self.active_loops: dict[int, tasks.Loop] = {}
        # The last few reminders that ended. Keeping a reference keeps their rows (with
        # their final state) in looptui's table; forgotten loops drop out of it.
        self.ended: collections.deque[tasks.Loop] = collections.deque(maxlen=6)

    def create_reminder_loop(self, user_id: int, message: str, interval: float,
                             count: int | None = None) -> tasks.Loop:
        """Create and start a personalised reminder loop."""
        user = self.bot.get_user(user_id)
        label = user.name if user else str(user_id)

        @tasks.loop(seconds=interval, count=count, name=f"reminder:{label}")
        async def user_reminder():
            user = self.bot.get_user(user_id)
            if user:
                try:
                    await user.send(f"⏰ Reminder: {message}")
                except Forbidden:
                    print(f"{user.name} blocked the bot: stopping their reminder")
                    user_reminder.stop()

        @user_reminder.after_loop
        async def forget_reminder():
            # Ended by stop(), by count or by an error: no longer active. The check keeps
            # a replaced reminder from removing its successor.
            if self.active_loops.get(user_id) is user_reminder:
                del self.active_loops[user_id]
            self.ended.append(user_reminder)

        self.active_loops[user_id] = user_reminder
        user_reminder.start()
        return user_reminder

    def stop_user_reminder(self, user_id: int) -> bool:
        """Stop a user's reminder loop.

        ``cancel()``, not the seed's ``stop()``: ``stop()`` on a sleeping loop lets it wake
        up and run its body once more (discord.py semantics), which here would send one
        last reminder after "your reminder has been stopped". The loop ends ``cancelled``.
        """
        if user_id in self.active_loops:
            self.active_loops.pop(user_id).cancel()
            return True
        return False

    def get_user_reminder_status(self, user_id: int) -> dict:
        if user_id not in self.active_loops:
            return {"active": False}
        loop = self.active_loops[user_id]
        return {
            "active": loop.is_running(),
            "current_loop": loop.current_loop,
            "next_iteration": loop.next_iteration,
        }


bot = FakeBot()
task_manager = TaskManager(bot)


# --- the bot's commands, as plain functions returning the reply -------------------------

def set_reminder(user_id: int, interval: float, message: str, count: int | None = None) -> str:
    if interval < 1:
        return "❌ Interval must be at least 1 second."
    if interval > 60:
        return "❌ Interval cannot exceed 60 seconds."
    task_manager.stop_user_reminder(user_id)
    task_manager.create_reminder_loop(user_id, message, interval, count)
    times = f"{count} times" if count else "until you stop it"
    return f"✅ Reminder set! Every {interval} seconds, {times}: {message}"


def stop_reminder(user_id: int) -> str:
    if task_manager.stop_user_reminder(user_id):
        return "✅ Your reminder has been stopped."
    return "❌ You don't have an active reminder."


def reminder_status(user_id: int) -> str:
    status = task_manager.get_user_reminder_status(user_id)
    if not status["active"]:
        return "You don't have an active reminder."
    next_time = status["next_iteration"]
    when = f", next at {next_time:%H:%M:%S} UTC" if next_time else ""
    return f"Active ✅, iteration {status['current_loop'] + 1}{when}"


SCRIPT = [
    (1, set_reminder, (1, 2, "drink some water")),
    (2, set_reminder, (2, 1, "stand up and stretch")),
    (3, set_reminder, (3, 1.5, "take the bread out of the oven", 3)),
    (4, set_reminder, (4, 0.1, "spam me")),
    (4, set_reminder, (4, 1, "review the pull request", 10)),
    (1, reminder_status, (1,)),
    (1, set_reminder, (1, 3, "drink some water (every 3 s is enough)")),
    (4, stop_reminder, (4,)),
    (2, reminder_status, (2,)),
]


@tasks.loop(seconds=2, count=len(SCRIPT))
async def chat():
    """Replay one scripted user command every 2 seconds, then finish."""
    user_id, command, args = SCRIPT[chat.current_loop]
    name = bot.get_user(user_id).name
    print(f"{name}: !{command.__name__} {' '.join(map(str, args[1:]))}".rstrip())
    print(f"bot: {command(*args)}")
