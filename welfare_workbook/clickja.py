"""A Japanese layer over click: help, errors, Ctrl-C and internal errors in Japanese.

click writes its own texts in English (``Usage:``, ``Error: No such option``,
``Aborted!``). This module replaces them where click builds them, by subclassing:

- :class:`JaHelpFormatter` / :class:`JaContext`: ``使い方:`` and line breaks by display
  width (a full-width character takes two columns, and Japanese has no spaces to
  break at);
- :class:`JaCommand` / :class:`JaGroup`: section headings, the ``--help`` option,
  unknown commands with a suggestion, extra arguments, and :meth:`JaCommand.main`,
  which reports every error in Japanese: click's own usage errors are rebuilt from
  their fields (option name, parameter, suggestions), never from their English text;
- :class:`JaOption` / :class:`JaArgument` and the parameter types :class:`Number`,
  :class:`Choice`, :class:`PathType`: help lines and conversion errors;
- :class:`UsageError` (exit 2) for every usage error, :class:`InternalError` (exit 3)
  for a bug: a Japanese one-liner, the traceback only with ``--debug``.

Only click and the standard library are imported, so ``--help`` stays fast. Works
with click 8.1 and later (methods whose signature changed are called both ways).
"""

from __future__ import annotations

import difflib
import inspect
import math
import os

import sys
import traceback
import unicodedata
from pathlib import Path
from typing import Any, Callable, Iterable, List, Mapping, NoReturn, Optional, Sequence, Tuple, Union

import click

from click.formatting import join_options

from .cli_help import JaContext, JaHelpFormatter, display_width, wrap
from .issues import InputError

EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 3, 130
DEBUG_KEY = "clickja.debug"  # in Context.meta, shared by a group and its subcommands
INTERRUPTED = "中断しました。"
HELP_TEXT = "この説明を表示して終了する。"

# click 8.2 added ``ctx`` to Parameter.make_metavar
_METAVAR_TAKES_CTX = "ctx" in inspect.signature(click.Parameter.make_metavar).parameters


# ---------------------------------------------------------------------------
# errors


class UsageError(click.UsageError):
    """Every usage error, in Japanese: ``エラー: …`` on stderr and exit code 2.

    ``usage=True`` (errors in the command line itself) adds the usage line and where
    to find ``--help``; a command's own checks (a missing file) need only the message.
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str, ctx: Optional[click.Context] = None, *, usage: bool = False) -> None:
        super().__init__(message, ctx)
        self.usage = usage

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        for line in self.format_message().splitlines():
            click.echo(f"エラー: {line}", file=file, err=True)
        if self.usage and self.ctx is not None:
            click.echo(self.ctx.get_usage(), file=file, err=True)
            click.echo(f"使い方の説明は「{self.ctx.command_path} --help」で表示できます。", file=file, err=True)


class Failure(click.ClickException):
    """A failure that is not a usage error, with its exit code: ``エラー: …`` on stderr."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"エラー: {self.format_message()}", file=file, err=True)


class InternalError(Failure):
    """A bug: one Japanese line (exit 3); the traceback only when debugging was asked for."""

    def __init__(self, error: BaseException, debug: bool = False, debug_hint: str = "") -> None:
        what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        super().__init__(f"予期しないエラーで処理を中止しました（{what}）。"
                         f"この表示を事務局・開発担当へお知らせください。{debug_hint}", EXIT_INTERNAL)
        self.error = error
        self.debug = debug

    def show(self, file: Any = None) -> None:
        if self.debug:
            text = "".join(traceback.format_exception(type(self.error), self.error, self.error.__traceback__))
            click.echo(text.rstrip("\n"), file=file, err=True)
        super().show(file)


def _quote(names: Iterable[str]) -> str:
    return "".join(f"「{name}」" for name in names)


def _suggest(possibilities: Optional[Sequence[str]]) -> str:
    if not possibilities:
        return ""
    if len(possibilities) == 1:
        return f"もしかして{_quote(possibilities)}ですか？"
    return f"もしかして{_quote(sorted(possibilities))}のどれかですか？"


def metavar_of(param: click.Parameter, ctx: Optional[click.Context]) -> str:
    """``param.make_metavar`` on click 8.1 (no ctx) and later (ctx)."""
    if _METAVAR_TAKES_CTX:
        return param.make_metavar(ctx) if ctx is not None else param.human_readable_name
    return param.make_metavar()  # type: ignore[call-arg]


def param_label(param: Optional[click.Parameter], ctx: Optional[click.Context]) -> str:
    """How an error names a parameter: ``--max-mb`` for an option, its label and metavar for an argument."""
    if param is None:
        return "値"
    if isinstance(param, click.Option):
        return " / ".join(param.opts)
    metavar = metavar_of(param, ctx)
    label = getattr(param, "label", "")
    return f"{label}（{metavar}）" if label else metavar


def _missing(error: click.MissingParameter) -> str:
    param, ctx = error.param, error.ctx
    if isinstance(param, click.Option):
        return f"必須のオプション {param_label(param, ctx)} が指定されていません。"
    return f"{param_label(param, ctx)}を指定してください。"


def _option_usage(error: click.BadOptionUsage) -> str:
    ctx = error.ctx
    params = ctx.command.params if ctx is not None else []
    option = next((p for p in params if isinstance(p, click.Option)
                   and error.option_name in (*p.opts, *p.secondary_opts)), None)
    if option is not None and option.is_flag:
        return f"{error.option_name} は値をとりません（「{error.option_name}=…」ではなく {error.option_name} だけを付けてください）。"
    return f"{error.option_name} の後に値を指定してください。"


def japanese_error(error: click.ClickException) -> click.ClickException:
    """click's own errors as their Japanese equivalent, rebuilt from their fields."""
    if isinstance(error, (UsageError, Failure)):
        return error
    if isinstance(error, click.UsageError):
        ctx = error.ctx
        if isinstance(error, click.NoSuchOption):
            message = f"「{error.option_name}」というオプションはありません。{_suggest(error.possibilities)}"
        elif isinstance(error, click.MissingParameter):
            message = _missing(error)
        elif isinstance(error, click.BadParameter):
            message = f"{param_label(error.param, ctx)}：{error.message}"
        elif isinstance(error, click.BadOptionUsage):
            message = _option_usage(error)
        elif hasattr(error, "command_name"):  # click >= 8.4 NoSuchCommand (JaGroup raises its own first)
            name = getattr(error, "command_name")
            message = f"「{name}」というコマンドはありません。{_suggest(getattr(error, 'possibilities', None))}"
        else:  # a message click gives no fields for: keep its text, say what kind of error it is
            message = f"コマンドの指定が正しくありません（{error.format_message()}）。"
        return UsageError(message, ctx, usage=True)
    if isinstance(error, click.FileError):
        return Failure(f"ファイル「{error.ui_filename}」を開けません（{error.message}）。", error.exit_code)
    return Failure(error.format_message(), error.exit_code)


def env_flag(name: Optional[str]) -> bool:
    """Whether an environment variable is set to a true value (1, true, yes, on)."""
    return bool(name) and os.environ.get(name or "", "").strip().lower() in ("1", "true", "yes", "on")


def confirm(question: str, default: bool = False) -> bool:
    """Ask yes or no in Japanese: y / yes / はい or n / no / いいえ; anything else asks again.

    ``click.confirm`` answers a typo in English (``Error: invalid input``). Ctrl-C or
    the end of input raises :class:`click.Abort`, which :meth:`JaCommand.main` reports.
    """
    while True:
        answer = click.prompt(f"{question} [{'Y/n' if default else 'y/N'}]", default="", show_default=False)
        answer = unicodedata.normalize("NFKC", answer).strip().lower()
        if answer in ("y", "yes", "はい"):
            return True
        if answer in ("n", "no", "いいえ"):
            return False
        if not answer:
            return default
        click.echo("y（はい）か n（いいえ）で答えてください。", err=True)


# ---------------------------------------------------------------------------
# parameter types


class Number(click.ParamType):
    """A number (``float`` or ``int``), full-width digits accepted, with an optional lower bound."""

    def __init__(self, kind: type = float, minimum: Optional[float] = None, *, open_min: bool = False) -> None:
        self.kind = kind
        self.minimum = minimum
        self.open_min = open_min
        self.name = "整数" if kind is int else "数値"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
        else:
            text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
            try:
                number = self.kind(text)
            except ValueError:
                self.fail(f"「{value}」は{self.name}ではありません。半角の{self.name}で指定してください。", param, ctx)
        if not math.isfinite(number):
            self.fail(f"「{value}」は{self.name}ではありません。半角の{self.name}で指定してください。", param, ctx)
        if self.minimum is not None and (number < self.minimum or (self.open_min and number == self.minimum)):
            bound = f"{self.minimum:g} より大きい" if self.open_min else f"{self.minimum:g} 以上の"
            self.fail(f"「{value}」は使えません。{bound}{self.name}で指定してください。", param, ctx)
        return self.kind(number)

    def get_metavar(self, param: click.Parameter, ctx: Optional[click.Context] = None) -> str:
        return self.name


Loader = Union[Sequence[str], Callable[[], Sequence[str]]]


class Choice(click.ParamType):
    """One of a list of words, read from the library when first needed; full-width and aliases folded.

    ``choices`` and ``aliases`` may be callables so that the module holding them is
    imported only when a command actually uses them.
    """

    name = "choice"

    def __init__(self, choices: Loader, aliases: Union[Mapping[str, str], Callable[[], Mapping[str, str]], None] = None
                 ) -> None:
        self._choices = choices
        self._aliases = aliases

    @property
    def choices(self) -> Sequence[str]:
        return tuple(self._choices() if callable(self._choices) else self._choices)

    @property
    def aliases(self) -> Mapping[str, str]:
        aliases = self._aliases() if callable(self._aliases) else self._aliases
        return aliases or {}

    def listing(self) -> str:
        return f"{_quote(self.choices)}のいずれかを指定してください。"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Any:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        text = self.aliases.get(text.lower(), text)
        if text in self.choices:
            return text
        self.fail(f"「{value}」は使えません。{self.listing()}", param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: Optional[click.Context] = None) -> str:
        words = "|".join(self.choices)
        return words if param.param_type_name == "argument" else f"[{words}]"


class PathType(click.ParamType):
    """A path as :class:`pathlib.Path`; ``kind`` "file" or "dir" refuses an existing one of the other kind.

    Whether the path exists is the command's business (it says what to do about it).
    """

    def __init__(self, kind: str = "path") -> None:
        self.kind = kind
        self.name = {"file": "ファイル", "dir": "フォルダ"}.get(kind, "パス")

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Any:
        if not str(value).strip():
            self.fail("パスが空です。ファイルかフォルダのパスを指定してください。", param, ctx)
        path = Path(value)
        if self.kind == "dir" and path.is_file():
            self.fail(f"「{value}」はファイルです。フォルダを指定してください。", param, ctx)
        if self.kind == "file" and path.is_dir():
            self.fail(f"「{value}」はフォルダです。ファイルを指定してください。", param, ctx)
        return path

    def get_metavar(self, param: click.Parameter, ctx: Optional[click.Context] = None) -> Optional[str]:
        # an argument is shown by its name (PATH, RETURNS...), an option by the kind of path
        return None if param.param_type_name == "argument" else self.name


# ---------------------------------------------------------------------------
# parameters


def _default_text(option: click.Option) -> str:
    """The default as the help shows it (a callable default is the library's value: call it)."""
    value = option.default() if callable(option.default) else option.default
    if option.is_flag and option.secondary_opts:
        return (option.opts if value else option.secondary_opts)[0]
    if isinstance(value, bool) or value is None or value == "":
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,g}"
    return str(value)


class JaOption(click.Option):
    """An option whose help line is Japanese: ``[既定: 200; 環境変数: X; 必須]``."""

    def get_help_record(self, ctx: click.Context) -> Optional[Tuple[str, str]]:
        if self.hidden:
            return None
        names = []
        for opts in (self.opts, self.secondary_opts):
            if opts:
                text, _ = join_options(opts)
                names.append(text if self.is_flag or self.count else f"{text} {metavar_of(self, ctx)}")
        extra = []
        default = _default_text(self) if self.show_default else ""
        if default:
            extra.append(f"既定: {default}")
        if self.show_envvar and self.envvar:
            extra.append(f"環境変数: {self.envvar if isinstance(self.envvar, str) else ', '.join(self.envvar)}")
        if self.required:
            extra.append("必須")
        help_text = self.help or ""
        if extra:
            help_text = f"{help_text}  [{'; '.join(extra)}]".strip()
        return " / ".join(names), help_text


class JaArgument(click.Argument):
    """An argument with a Japanese ``label`` (errors name it so) and ``description`` (help, 引数)."""

    def __init__(self, param_decls: Sequence[str], required: Optional[bool] = None, *, label: str = "",
                 description: str = "", **attrs: Any) -> None:
        super().__init__(param_decls, required=required, **attrs)
        self.label = label
        self.description = description

    def help_text(self) -> str:
        return f"{self.label}（{self.description}）" if self.label and self.description else self.label


def option(*param_decls: str, **attrs: Any) -> Callable[[Any], Any]:
    """``click.option`` with :class:`JaOption`."""
    attrs.setdefault("cls", JaOption)
    return click.option(*param_decls, **attrs)


def argument(*param_decls: str, **attrs: Any) -> Callable[[Any], Any]:
    """``click.argument`` with :class:`JaArgument`."""
    attrs.setdefault("cls", JaArgument)
    return click.argument(*param_decls, **attrs)


# ---------------------------------------------------------------------------
# commands


class JaCommand(click.Command):
    """A command whose help, errors, Ctrl-C and internal errors are Japanese.

    :meth:`main` is click's standalone mode done here: click is run with
    ``standalone_mode=False`` so that ``Aborted!`` (exit 1) becomes ``中断しました。``
    (exit 130) and every error is shown by :func:`japanese_error`.
    """

    context_class = JaContext
    debug_envvar: Optional[str] = None  # set on the root group: read from there by every subcommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[オプション]")
        super().__init__(*args, **kwargs)

    # -- help ---------------------------------------------------------------

    def get_help_option(self, ctx: click.Context) -> Optional[click.Option]:
        help_option = super().get_help_option(ctx)
        if help_option is not None:
            help_option.help = HELP_TEXT  # click makes it (and caches it since 8.1.8) with English help
        return help_option

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Arguments are written by :meth:`format_options` (click 8.1 has no such hook)."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        params = self.get_params(ctx)
        arguments = [(metavar_of(p, ctx), p.help_text()) for p in params if isinstance(p, JaArgument) and p.label]
        if arguments:
            with formatter.section("引数"):
                formatter.write_dl(arguments)
        records = [p.get_help_record(ctx) for p in params if isinstance(p, click.Option)]
        if any(records):
            with formatter.section("オプション"):
                formatter.write_dl([r for r in records if r is not None])

    # -- parsing and running --------------------------------------------------

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        strict = not ctx.allow_extra_args
        ctx.allow_extra_args = True  # extra arguments are reported below, in Japanese
        try:
            rest = super().parse_args(ctx, args)
        except click.UsageError as exc:
            if exc.ctx is None:  # the option parser raises without it: the message needs the command
                exc.ctx = ctx
            raise
        finally:
            ctx.allow_extra_args = not strict
        if rest and strict and not ctx.resilient_parsing:
            raise UsageError(f"余分な引数{_quote(rest)}があります。", ctx, usage=True)
        return rest

    def _internal_error(self, error: Exception, ctx: Optional[click.Context]) -> InternalError:
        """The bug as an :class:`InternalError`, debugging as the root command was told (flag or env)."""
        envvar = getattr(ctx.find_root().command if ctx is not None else self, "debug_envvar", None)
        debug = bool(ctx is not None and ctx.meta.get(DEBUG_KEY)) or env_flag(envvar)
        hint = f"詳しい情報は --debug を付けるか、環境変数 {envvar}=1 で表示できます。" if envvar else ""
        return InternalError(error, debug, hint)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click's own control flow (Abort and Exit are RuntimeErrors); a closed pipe: see main
        except InputError as exc:  # a user's input that stops the work: its message, exit 2
            error = click.ClickException(str(exc))
            error.exit_code = EXIT_USAGE
            raise error from exc
        except Exception as exc:  # a bug: reported by main() without a traceback
            raise self._internal_error(exc, ctx) from exc

    def main(self, args: Optional[Sequence[str]] = None, prog_name: Optional[str] = None,
             complete_var: Optional[str] = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except BrokenPipeError:  # the reader went away (`… | head`): stop quietly, as other tools do
            _silence_stdout()
            sys.exit(1)
        except (click.Abort, KeyboardInterrupt):  # click turns Ctrl-C (and EOF at a prompt) into Abort
            click.echo(INTERRUPTED, err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            self._fail(japanese_error(exc))
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except Exception as exc:  # a bug outside any command (e.g. while parsing): still one line
            self._fail(self._internal_error(exc, None))
        # without standalone mode click returns the exit code of ctx.exit(), or the callback's result
        sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)

    @staticmethod
    def _fail(error: click.ClickException) -> NoReturn:
        error.show()
        sys.exit(error.exit_code)


def _silence_stdout() -> None:
    """Point stdout at the null device so Python's own flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test runner's stream)
        pass


class JaGroup(JaCommand, click.Group):
    """A group of :class:`JaCommand`: ``コマンド:`` in help, unknown commands with a suggestion.

    ``debug_envvar`` adds a ``--debug`` flag (or that environment variable set to 1)
    that shows the traceback of an internal error.
    """

    command_class = JaCommand
    group_class = type

    def __init__(self, *args: Any, debug_envvar: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "コマンド [引数]...")
        super().__init__(*args, **kwargs)
        if debug_envvar:
            self.debug_envvar = debug_envvar
            self.params.append(JaOption(
                ["--debug"], is_flag=True, expose_value=False, is_eager=True, callback=_remember_debug,
                help=f"想定外のエラーのときにトレースバックを表示する（環境変数 {debug_envvar}=1 でも同じ）。"))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, cmd) for name, cmd in commands if cmd is not None and not cmd.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("コマンド"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])

    def resolve_command(self, ctx: click.Context, args: List[str]) -> Tuple[Optional[str], Optional[click.Command],
                                                                           List[str]]:
        name = args[0]
        if self.get_command(ctx, name) is None and not ctx.resilient_parsing and not name.startswith("-"):
            close = difflib.get_close_matches(name, self.list_commands(ctx))
            raise UsageError(f"「{name}」というコマンドはありません。{_suggest(close)}", ctx, usage=True)
        return super().resolve_command(ctx, args)


def _remember_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[DEBUG_KEY] = True


__all__ = ["Choice", "Failure", "confirm", "InternalError", "JaArgument", "JaCommand", "JaContext", "JaGroup",
           "JaHelpFormatter", "JaOption", "Number", "PathType", "UsageError", "argument", "display_width",
           "japanese_error", "option", "wrap"]
