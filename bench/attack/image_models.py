"""The learned attackers: small networks trained on CPU from samples the repository can render.

- `PerPositionCNN`: convolutions, then one softmax head per character position.
- `CTCRecogniser`: the textbook CAPTCHA/handwriting reader. Convolutions, the height collapsed
  into one feature vector per column, a bidirectional GRU along the columns, CTC loss, greedy
  decoding. It needs no character positions, so it copes with glyphs that shift and overlap.

Both train with Adam on one thread, evaluating on the held-out set after every epoch, until a
budget of CPU time or an epoch limit. The budget counts CPU time rather than wall time so that a
machine shared with other work gives the model the same amount of computing; both are reported.
The reported figure is the last epoch's, not the best one's: picking the best epoch by its score on the evaluation set
would overstate it.

Needs torch (bench/requirements-attack.txt, `make attack-install`); the harness imports this
module only when torch is installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn

from bench.attack.harness import INPUT_HEIGHT, INPUT_WIDTH, AttackResult, EpochPoint, Samples, score
from bench.attack.image_variants import Variant

BATCH_SIZE = 64
EVAL_BATCH_SIZE = 250
GRAD_CLIP = 5.0
# The learning rate drops tenfold for what is left once this share of the budget is spent.
LR_DROP_AT = 0.75
LR_DROP = 0.1


def _block(c_in: int, c_out: int, pool: int | tuple[int, int]) -> list[nn.Module]:
    # Pooling straight after the convolution keeps the normalisation and activation (memory-bound
    # on a CPU) to a quarter of the pixels.
    return [
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.MaxPool2d(pool),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


def _standardise(x: torch.Tensor) -> torch.Tensor:
    """uint8 pixels to zero mean, unit variance per image: the colours are random per render."""
    x = x.float()
    mean = x.mean(dim=(2, 3), keepdim=True)
    std = x.std(dim=(2, 3), keepdim=True)
    return ((x - mean) / (std + 1e-3)).contiguous(memory_format=torch.channels_last)


class PerPositionCNN(nn.Module):
    """48×160 → four conv blocks of 16, 32, 64, 128 channels (each halving both sides) → 3×10×128
    → dense 256 → `length` softmax heads over the alphabet. About the CTC model's cost a sample."""

    def __init__(self, alphabet: str, length: int) -> None:
        super().__init__()
        self.alphabet, self.length = alphabet, length
        channels = (16, 32, 64, 128)
        layers: list[nn.Module] = []
        c_in = 1
        for c_out in channels:
            layers += _block(c_in, c_out, 2)
            c_in = c_out
        self.features = nn.Sequential(*layers)
        flat = channels[-1] * (INPUT_HEIGHT // 16) * (INPUT_WIDTH // 16)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(flat, 256),
            nn.ReLU(inplace=True),
            nn.Linear(256, length * len(alphabet)),
        )
        self.criterion = nn.CrossEntropyLoss()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.head(self.features(_standardise(x)))
        return logits.view(-1, self.length, len(self.alphabet))

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        loss: torch.Tensor = self.criterion(logits.reshape(-1, len(self.alphabet)), targets.reshape(-1))
        return loss

    def decode(self, logits: torch.Tensor) -> list[str]:
        return ["".join(self.alphabet[i] for i in row) for row in logits.argmax(2).tolist()]


class CTCRecogniser(nn.Module):
    """48×160 → four conv blocks of 16, 32, 64, 64 channels (height halved by each, width by the
    first two) → 40 columns of 3×64 features → dense 128 → bidirectional GRU (128 each way) →
    blank + alphabet per column."""

    def __init__(self, alphabet: str) -> None:
        super().__init__()
        self.alphabet = alphabet
        # Wider convolutions (32, 64, 96, 96) read ~1.5 points more after one epoch on the shipped
        # images, for ~1.7 times the time an epoch takes.
        channels, pools = (16, 32, 64, 64), (2, 2, (2, 1), (2, 1))
        layers: list[nn.Module] = []
        c_in = 1
        for c_out, pool in zip(channels, pools, strict=True):
            layers += _block(c_in, c_out, pool)
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.project = nn.Sequential(nn.Linear(channels[-1] * (INPUT_HEIGHT // 16), 128), nn.ReLU(inplace=True))
        self.rnn = nn.GRU(128, 128, batch_first=True, bidirectional=True)
        self.classify = nn.Linear(256, len(alphabet) + 1)  # class 0 is CTC's blank
        self.criterion = nn.CTCLoss(blank=0, zero_infinity=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(_standardise(x))
        n, c, h, w = f.shape
        columns = f.permute(0, 3, 1, 2).reshape(n, w, c * h)
        out, _ = self.rnn(self.project(columns))
        logits: torch.Tensor = self.classify(out)
        return logits  # (batch, columns, classes)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_probs = logits.log_softmax(2).permute(1, 0, 2)  # (columns, batch, classes)
        n, length = targets.shape
        input_lengths = torch.full((n,), log_probs.shape[0], dtype=torch.long)
        target_lengths = torch.full((n,), length, dtype=torch.long)
        loss: torch.Tensor = self.criterion(log_probs, targets + 1, input_lengths, target_lengths)
        return loss

    def decode(self, logits: torch.Tensor) -> list[str]:
        """Greedy: the likeliest class per column, repeats merged, blanks dropped."""
        texts = []
        for row in logits.argmax(2).tolist():
            chars, previous = [], 0
            for k in row:
                if k != previous and k != 0:
                    chars.append(self.alphabet[k - 1])
                previous = k
            texts.append("".join(chars))
        return texts


def _tensors(samples: Samples, alphabet: str) -> tuple[torch.Tensor, torch.Tensor]:
    n = len(samples.answers)
    pixels = torch.frombuffer(bytearray(b"".join(samples.pixels)), dtype=torch.uint8)
    images = pixels.view(n, 1, INPUT_HEIGHT, INPUT_WIDTH)
    index = {ch: i for i, ch in enumerate(alphabet)}
    targets = torch.tensor([[index[ch] for ch in answer] for answer in samples.answers], dtype=torch.long)
    return images, targets


Model = PerPositionCNN | CTCRecogniser

MODELS: dict[str, Callable[[Variant], Model]] = {
    "cnn": lambda variant: PerPositionCNN(variant.alphabet, variant.length),
    "ctc": lambda variant: CTCRecogniser(variant.alphabet),
}
DESCRIPTIONS = {
    "cnn": "per-position CNN (4 conv, dense 256, one softmax per position)",
    "ctc": "CNN + BiGRU + CTC, greedy decoding",
}


def _predict(model: Model, images: torch.Tensor) -> list[str]:
    model.eval()
    texts: list[str] = []
    with torch.no_grad():
        for start in range(0, len(images), EVAL_BATCH_SIZE):
            texts += model.decode(model(images[start : start + EVAL_BATCH_SIZE]))
    return texts


def train_attack(
    name: str,
    variant: Variant,
    train: Samples,
    evaluation: Samples,
    *,
    minutes: float,
    max_epochs: int | None = None,
    lr: float = 1e-3,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> AttackResult:
    """Train attacker `name` ("cnn" or "ctc") on `train` and score it on `evaluation` after every
    epoch. Another epoch starts only while it is expected to end within `minutes` of training CPU
    time."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    order_rng = torch.Generator().manual_seed(seed)
    model = MODELS[name](variant).to(memory_format=torch.channels_last)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    images, targets = _tensors(train, variant.alphabet)
    eval_images, _ = _tensors(evaluation, variant.alphabet)
    budget = minutes * 60
    result = AttackResult(
        variant.name,
        name,
        train_samples=len(train.answers),
        eval_samples=len(evaluation.answers),
        note=DESCRIPTIONS[name],
    )
    trained = cpu = 0.0
    epoch = 0
    while max_epochs is None or epoch < max_epochs:
        if epoch and cpu + cpu / epoch > budget:
            break
        if epoch and cpu >= LR_DROP_AT * budget and optimiser.param_groups[0]["lr"] == lr:
            optimiser.param_groups[0]["lr"] = lr * LR_DROP
            log(f"  {variant.name} × {name}: learning rate {lr * LR_DROP:g} from epoch {epoch + 1}")
        epoch += 1
        model.train()
        start, start_cpu = time.perf_counter(), time.process_time()
        permutation = torch.randperm(len(images), generator=order_rng)
        losses = []
        for first in range(0, len(images), BATCH_SIZE):
            batch = permutation[first : first + BATCH_SIZE]
            loss = model.loss(model(images[batch]), targets[batch])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
            optimiser.step()
            losses.append(loss.item())
        trained += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        start = time.perf_counter()
        success, chars = score(_predict(model, eval_images), evaluation.answers)
        result.eval_seconds += time.perf_counter() - start
        mean_loss = sum(losses) / len(losses)
        result.curve.append(EpochPoint(epoch, trained, cpu, success, chars, mean_loss))
        log(
            f"  {variant.name} × {name}: epoch {epoch}, {trained:.0f} s trained ({cpu:.0f} s CPU), "
            f"loss {mean_loss:.3f}, {success:.1f} % whole answers"
        )
    last = result.curve[-1]
    result.success, result.chars = last.success, last.chars
    result.train_seconds, result.train_cpu_seconds, result.epochs = trained, cpu, epoch
    result.extra = {
        "parameters": sum(p.numel() for p in model.parameters()),
        "batch_size": BATCH_SIZE,
        "lr": lr,
        "minutes": minutes,
        "max_epochs": max_epochs,
        "torch": torch.__version__,
    }
    return result
