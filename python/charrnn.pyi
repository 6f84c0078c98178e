"""Type stubs for charrnn, the Python module over charrnn's C++ API (python/charrnn_module.cpp).

Lengths count symbols (code points, or grapheme clusters for such models); losses are nats per
symbol; logits are float32, one per vocabulary entry.
"""
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Union

import numpy
import numpy.typing

__version__: str

class Error(RuntimeError):
    """A charrnn failure: a bad file, a damaged checkpoint, I/O."""
    field: Optional[str]
    hint: str

class UsageError(Error, ValueError):
    """A bad setting or argument; .field names it (e.g. 'temperature')."""
    field: Optional[str]
    hint: str

class Cursor:
    """The network's state after a prompt, stepped one symbol at a time."""
    @property
    def logits(self) -> numpy.typing.NDArray[numpy.float32]:
        """Shape (V,): the next symbol's logits, in Model.vocabulary order."""
    @property
    def position(self) -> int:
        """Symbols read so far, the prompt's included."""
    def feed(self, symbol: Union[int, str]) -> None:
        """Reads a symbol id, or each symbol of a text."""

class Stream(Iterator[str]):
    """Pieces of generated text as they are sampled; close() stops generation."""
    def __iter__(self) -> "Stream": ...
    def __next__(self) -> str: ...
    def close(self) -> None: ...
    @property
    def finish_reason(self) -> str:
        """'length', 'stop' or 'stopped' once the stream has ended; '' before."""

class Model:
    """A trained model, opened from a checkpoint directory or an installed model's name."""
    @staticmethod
    def open(model: str, weights: str = "best", dtype: str = "f32") -> "Model": ...
    @property
    def card(self) -> Dict[str, Any]:
        """model.json as a dict (what `charrnn inspect --json` prints)."""
    @property
    def vocabulary(self) -> List[str]:
        """The symbols in id order (the order of logits)."""
    def generate(
        self,
        prompt: str = "",
        length: int = 200,
        *,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int = 0,
        stop: Sequence[str] = (),
        form: int = 0,
        lines: int = 0,
        acrostic: str = "",
        repetition_penalty: float = 1.0,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        penalty_last_n: int = 64,
        stream: bool = False,
    ) -> Union[str, Stream]:
        """Up to `length` symbols after `prompt`; the same seed gives `charrnn generate`'s text."""
    def score(
        self, text: str, *, dynamic: bool = False, batch: int = 32, seq: int = 100
    ) -> Dict[str, float]:
        """symbols, predicted, nats_per_char, bits_per_char, perplexity (and statistics)."""
    def start(self, prompt: str = "") -> Cursor:
        """A Cursor at the state the prompt leaves."""
    def logits(self, prompt: str = "") -> numpy.typing.NDArray[numpy.float32]:
        """Shape (V,): the logits of the symbol after `prompt`."""

def train(
    *,
    corpus: Union[str, Sequence[str]],
    model_dir: str,
    minutes: float = ...,
    on_progress: Optional[Callable[[Dict[str, Any]], None]] = None,
    resume: bool = False,
    force: bool = False,
    **settings: Any,
) -> Dict[str, Any]:
    """Trains a model; any setting of `charrnn train` by name. Ctrl-C saves, then raises."""

def set_threads(threads: int) -> None: ...
def locate_model(model: str) -> str: ...
