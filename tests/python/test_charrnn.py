"""test_charrnn.py — `import charrnn` (pytest): the same text as `charrnn generate`, streaming and
stopping early, errors by field, two threads at once, training with progress and Ctrl-C, and
NumPy logits that agree with the library's scoring.

Run by ctest with PYTHONPATH at the built module; CHARRNN_BIN and CHARRNN_MODELS name the
binary and the shipped models.
"""
import math
import os
import signal
import subprocess
import threading
import time

import numpy
import pytest

import charrnn

BIN = os.environ["CHARRNN_BIN"]
KJV = os.path.join(os.environ["CHARRNN_MODELS"], "kjv-small")
TANG = os.path.join(os.environ["CHARRNN_MODELS"], "tang-small")


@pytest.fixture(scope="module")
def kjv():
    return charrnn.Model.open(KJV)


def generate_cli(*args):
    out = subprocess.run([BIN, "generate", "--model", KJV, "--threads", "1", *args],
                         capture_output=True, text=True, check=True)
    return out.stdout


def test_generate_writes_what_the_command_writes(kjv):
    text = kjv.generate("And God said", 150, temperature=0.8, top_k=20, seed=11)
    assert "And God said" + text == generate_cli("--prompt", "And God said", "--length", "150",
                                                 "--temperature", "0.8", "--top-k", "20",
                                                 "--seed", "11")


def test_penalties_and_stop_strings_match_the_command(kjv):
    text = kjv.generate("And", 200, seed=2, repetition_penalty=1.2, stop=["LORD"])
    cli = generate_cli("--prompt", "And", "--length", "200", "--seed", "2",
                       "--repetition-penalty", "1.2", "--stop", "LORD")
    assert "And" + text == cli
    assert "LORD" not in text


def test_a_stream_is_the_whole_text_piece_by_piece(kjv):
    stream = kjv.generate("In the beginning", 100, seed=5, stream=True)
    pieces = list(stream)
    assert len(pieces) > 50
    assert "".join(pieces) == kjv.generate("In the beginning", 100, seed=5)
    assert stream.finish_reason == "length"


def test_a_stream_can_be_stopped_early(kjv):
    stream = kjv.generate("And", 100000, seed=1, stream=True)
    taken = [next(stream) for _ in range(10)]
    stream.close()
    assert len(taken) == 10
    assert stream.finish_reason == "stopped"


def test_errors_raise_exceptions_that_name_the_field(kjv):
    with pytest.raises(charrnn.UsageError) as e:
        kjv.generate("And", 10, temperature=-1)
    assert e.value.field == "temperature"
    assert isinstance(e.value, ValueError)
    with pytest.raises(charrnn.UsageError) as e:
        kjv.generate("And", 10, frequency_penalty=5)
    assert e.value.field == "frequency_penalty"
    with pytest.raises(charrnn.Error) as e:
        charrnn.Model.open("/nonexistent/model")
    assert "does not exist" in str(e.value)
    assert e.value.hint
    with pytest.raises(charrnn.UsageError) as e:
        charrnn.train(corpus="x.txt", model_dir="/tmp/never", seq=-1)
    assert e.value.field == "seq"


def test_two_threads_generate_at_once_and_the_gil_is_free_meanwhile(kjv):
    expected = [kjv.generate("And", 3000, seed=s) for s in (1, 2)]
    results = [None, None]

    def work(i):
        results[i] = kjv.generate("And", 3000, seed=i + 1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    ticks = 0
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        ticks += 1  # Python runs while the network does
        time.sleep(0.001)
    for t in threads:
        t.join()
    assert results == expected
    assert ticks > 3


def test_training_reports_progress_and_makes_a_model_that_generates(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(f"the quick brown fox jumps over the lazy dog {i % 9}\n"
                              for i in range(400)))
    events = []
    summary = charrnn.train(corpus=str(corpus), model_dir=str(tmp_path / "m"), layers=1,
                            hidden=32, embed=16, seq=16, batch=8, steps=40, eval_every=20,
                            dtype="f32", on_progress=events.append)
    assert summary["steps"] == 40
    kinds = {e["kind"] for e in events}
    assert {"step", "eval", "info"} <= kinds
    assert sum(e["kind"] == "eval" for e in events) == 2
    model = charrnn.Model.open(str(tmp_path / "m"))
    assert model.card["training"]["state"]["step"] == 40
    assert len(model.generate("the", 20, seed=1)) > 0


def test_ctrl_c_saves_the_checkpoint_and_raises_keyboard_interrupt(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("abcdefghij klmnop qrstuv wxyz\n" * 2000)
    timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        charrnn.train(corpus=str(corpus), model_dir=str(tmp_path / "m"), layers=1, hidden=32,
                      embed=16, seq=16, batch=8, steps=10 ** 7, eval_every=10 ** 6, dtype="f32")
    timer.join()
    saved = charrnn.Model.open(str(tmp_path / "m"), weights="last")
    assert saved.card["training"]["state"]["step"] > 0
    resumed = charrnn.train(model_dir=str(tmp_path / "m"), resume=True,
                            steps=saved.card["training"]["state"]["step"] + 5)
    assert resumed["steps"] == saved.card["training"]["state"]["step"] + 5


def log_softmax(x):
    x = x.astype(numpy.float64)
    return x - (x.max() + math.log(numpy.exp(x - x.max()).sum()))


def test_numpy_logits_agree_with_the_librarys_scoring(kjv):
    text = "And God said, Let there be light."
    vocab = {s: i for i, s in enumerate(kjv.vocabulary)}
    cursor = kjv.start(text[0])
    total = 0.0
    for i in range(1, len(text)):
        logits = cursor.logits
        assert logits.shape == (len(kjv.vocabulary),) and logits.dtype == numpy.float32
        total -= log_softmax(logits)[vocab[text[i]]]
        cursor.feed(text[i])
    score = kjv.score(text, batch=1, seq=len(text))
    assert score["predicted"] == len(text) - 1
    assert total / (len(text) - 1) == pytest.approx(score["nats_per_char"], abs=1e-4)
    numpy.testing.assert_allclose(kjv.logits(text[:10]), kjv.start(text[:10]).logits)


def test_a_poem_model_writes_forms(tmp_path):
    tang = charrnn.Model.open(TANG)
    poem = tang.generate("《春", 200, seed=3, form=5, lines=4, temperature=0.8)
    lines = [l for l in poem.split("\n") if l.strip()]
    assert len(lines) >= 2
    with pytest.raises(charrnn.UsageError) as e:
        tang.generate("《春", 50, form=5, acrostic="\U0001F600")
    assert e.value.field == "acrostic"
