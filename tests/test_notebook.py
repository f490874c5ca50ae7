"""claimstats.notebook: a .qmd run in a Jupyter kernel as Quarto runs it, on documents built so the answer is known."""

from __future__ import annotations

import textwrap

import pytest

from claimstats.notebook import ExecutionError, execute_qmd


def qmd(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_execute_qmd_runs_cells_and_inline_code_in_quartos_order(tmp_path):
    folder = tmp_path / "chapters"
    folder.mkdir()
    (folder / "data.txt").write_text("41", encoding="utf-8")
    doc = folder / "ch.qmd"
    doc.write_text(
        qmd(
            """
            # Chapter

            ```{python}
            #| label: first
            import os
            x = int(open("data.txt").read())
            ```

            Before the change: `{python} x`, folder `{python} os.path.basename(os.getcwd())`.

            ```{python}
            #| eval: false
            x = 1000
            ```

            ```{python}
            x = x + 1
            print("printed")
            ```

            After: `{python} f"{x:,}"`.
            """
        ),
        encoding="utf-8",
    )
    run = execute_qmd(doc, env=dict(__import__("os").environ, MPLBACKEND="Agg"))
    values = [(r.expression.code, r.data["text/plain"]) for r in run.inline]
    # inline code sees the cells above it only; the working directory is the document's folder
    assert values == [("x", "41"), ("os.path.basename(os.getcwd())", "'chapters'"), ('f"{x:,}"', "'42'")]
    assert [c.cell.line for c in run.cells] == [3, 16] and run.cells[1].stdout == "printed\n"
    assert run.seconds >= run.kernel_start_seconds > 0

    doc.write_text("Text.\n\n```{python}\nx = 1\n```\n\nBroken `{python} y`.\n", encoding="utf-8")
    with pytest.raises(ExecutionError, match=r"ch.qmd, line 7: inline `y` failed: NameError"):
        execute_qmd(doc)
    doc.write_text("```{python}\n1 / 0\n```\n", encoding="utf-8")
    with pytest.raises(ExecutionError, match=r"^ch.qmd, cell at line 1: ZeroDivisionError: division by zero$") as err:
        execute_qmd(doc)
    assert "1 / 0" in err.value.traceback and "\x1b[" not in err.value.traceback
    doc.write_text("# No code\n\nJust `code`.\n", encoding="utf-8")
    assert execute_qmd(doc).seconds == 0.0  # no kernel, as Quarto's markdown engine
