"""The lessons of the Lessons menu: which preset each loads, which view it opens, what to watch for.

One entry per phase of the seed's mini-projects A, B and C. The texts are short
on purpose: they say what to press and what to look at, not the theory.
"""
from __future__ import annotations

from dataclasses import dataclass

PLAYGROUND = "Playground"
COMPARISON = "Manual vs PyTorch"
MNIST = "MNIST"
CONVOLUTION = "Convolution"


@dataclass(frozen=True)
class Lesson:
    key: str           # "A1" ... "C", shown first in the menu
    title: str
    preset: str        # trainer/presets/<preset>.json
    kind: str          # regression | truth-table | compare | workspace
    tab: str           # the central tab to show
    text: str          # rich text for the lesson panel
    speed: float | None = None   # epochs a second the lesson starts at (desktop/speed.py); None: Max

    @property
    def label(self) -> str:
        return f"{self.key}  {self.title}"


_A1 = """
<p>Fifty noisy points around the line <b>y&nbsp;=&nbsp;2x&nbsp;+&nbsp;1</b> (dashed). The model is two
numbers, <b>w</b> and <b>b</b>, both starting at 0: no layer, no optimizer object, just two tensors
with <code>requires_grad=True</code>.</p>
<p>Press <b>Run with raw autograd</b>. Every epoch computes the mean squared error, calls
<code>loss.backward()</code> and lets PyTorch fill in <code>w.grad</code> and <code>b.grad</code>;
then <code>w&nbsp;-=&nbsp;lr·w.grad</code> inside <code>torch.no_grad()</code>, and the gradients
are zeroed for the next round.</p>
<p><b>Watch for</b></p>
<ul>
<li>the blue line swinging up from flat to lie along the points;</li>
<li>the gradients: large at first, shrinking towards 0 as the line settles;</li>
<li><b>w</b> shoots past 2 within twenty epochs while <b>b</b> creeps: the points sit at x between
0 and 5, so the loss is far more sensitive to the slope. Then w slowly gives back its overshoot as
b catches up;</li>
<li>the loss levelling off near the noise (about 0.27), never reaching 0.</li>
</ul>
<p>The toolbar's <b>Train</b> runs the same thing the framework way (<code>nn.Linear</code> +
<code>optim.SGD</code>) and lands on the same line.</p>
"""

_A2 = """
<p>One neuron: <b>output&nbsp;=&nbsp;sigmoid(w₁x₁&nbsp;+&nbsp;w₂x₂&nbsp;+&nbsp;b)</b>, an
<code>nn.Linear(2,&nbsp;1)</code> and an <code>nn.Sigmoid</code>, trained with binary cross-entropy
and SGD (lr&nbsp;1.0) for 1,000 epochs. Press <b>Train</b>.</p>
<p><b>Watch for</b></p>
<ul>
<li>the table: the thresholded predictions are right within a couple of epochs, but the outputs
start near 0.5. The rest of the training makes the neuron <i>confident</i>: (1,&nbsp;1) climbs
towards 1, the other three sink towards 0, (0,&nbsp;0) fastest;</li>
<li>the boundary: a single neuron can only ever draw a straight line, and AND needs only one,
cutting the (1,&nbsp;1) corner off from the rest;</li>
<li>outputs never reach exactly 0 or 1: the loss keeps pushing them, ever more slowly.</li>
</ul>
"""

_A3 = """
<p>XOR: (0,&nbsp;1) and (1,&nbsp;0) are class 1, (0,&nbsp;0) and (1,&nbsp;1) class 0. No
straight line separates them, so the single neuron of A2 cannot learn it (try it: remove the
hidden layers in the Architecture dock and train). Here a hidden layer of 4 ReLU neurons
(2-4-1, BCE, Adam lr&nbsp;0.01, 5,000 epochs) bends the boundary. Press <b>Train</b>.</p>
<p><b>Watch for</b></p>
<ul>
<li>the table: the outputs start near 0.5 and the predictions flip back and forth for the
first hundred epochs before all four rows stay right; then the outputs head for 0 and 1;</li>
<li>the network diagram (Architecture dock): each hidden neuron's square shows what it computes
over the plane: a ReLU of one straight line. The output adds these pieces into a region no single
line could cut out. Click a hidden neuron to see it large in the <b>Neuron</b> tab;</li>
<li>the loss curve: tick <b>Log-scale loss</b> to see it keep falling, by four orders of
magnitude over the 5,000 epochs.</li>
</ul>
"""

_A4 = """
<p>The same XOR problem, learned twice. <span style="color:#1f77b4"><b>Blue</b></span>: the NumPy
network from the earlier session: 2-4-1, every derivative written out by hand, MSE loss, plain
gradient descent with lr&nbsp;2.0. <span style="color:#e8710a"><b>Orange</b></span>: the PyTorch
MLP of A3: the same shape, autograd, BCE loss and Adam with lr&nbsp;0.01.</p>
<p>Press <b>Run both</b>: 5,000 epochs each, side by side, the loss on a log scale.</p>
<p><b>Watch for</b></p>
<ul>
<li>both losses fall by orders of magnitude: both networks solve XOR;</li>
<li>they measure different things (squared error against cross-entropy), so compare the shapes
of the curves, not their heights;</li>
<li>what it took: the manual version needs a hand-derived backward pass that must change whenever
the loss or a layer does; in PyTorch that is one line, <code>loss.backward()</code>.</li>
</ul>
"""

_B = """
<p>Three interleaved spiral arms, 450 points, shuffled and split 70 / 15 / 15 into training,
validation and test sets. The model is 2-100-3 with ReLU and dropout 0.2, trained with
cross-entropy and Adam (lr&nbsp;0.01, weight decay 0.005). Training stops when the validation
loss has not improved for 200 epochs, and the best weights are put back. Press <b>Train</b>.</p>
<p><b>Watch for</b></p>
<ul>
<li>the boundary curling to follow the arms, from straight wedges at first;</li>
<li>the validation loss flattening while the training loss still falls, and the run stopping
on its own (the best epoch is marked on the curves);</li>
<li>the test points (triangles) were never trained on: they measure the result honestly.</li>
</ul>
"""

_C = """
<p>Handwritten digits: 28×28 grey images flattened to 784 inputs. The model is 784-256-128-10
with ReLU and dropout, trained full batch on the seed's 5,000 training images with Adam and early
stopping; 1,000 images validate and all 10,000 test images judge the result. Press
<b>Train</b> (the files are read when training starts).</p>
<p><b>Watch for</b></p>
<ul>
<li>accuracy climbing fast in the first epochs, then slowly;</li>
<li>which digits get mixed up (the confusion matrix): 4 and 9, 3 and 5, 7 and 9 are classics;</li>
<li>your own digits: draw one and see what the network thinks, and how sure it is.</li>
</ul>
"""

_D = """
<p>A convolution slides a small grid of numbers, the <b>kernel</b>, over the image. At each place it
multiplies the kernel by the patch of pixels under it, cell by cell, and adds the products up: one
number, one cell of the <b>feature map</b>. The same few numbers are used everywhere, so the map
answers one question at every place of the digit: <i>is this pattern here?</i></p>
<p>In the <b>Convolution</b> tab, pick a test digit or draw one, pick a kernel or type your own
numbers, then press <b>Step</b> or <b>Play</b> (or click the image) to follow the kernel.</p>
<p><b>Watch for</b></p>
<ul>
<li><b>Vertical edges</b>: blue where the ink begins as you read left to right, orange where it ends;
the flat top bar of a 7 nearly vanishes. <b>Horizontal edges</b> finds that bar instead;</li>
<li>over the black background every product is 0: the map is quiet wherever there is no ink;</li>
<li><b>Identity</b> gives the image back, <b>Blur</b> smears it. With padding <i>none</i> the map
loses its border (28&nbsp;→&nbsp;26 for a 3×3 kernel); <i>same</i> adds zeros around the image and
keeps 28×28;</li>
<li><b>ReLU</b> keeps only the positive answers, <b>2×2 max-pool</b> the strongest of each block: half
the size, and an edge moved by a pixel still shows.</li>
</ul>
<p>A CNN <i>learns</i> its kernels. This lesson loads the <b>mnist-cnn-seed</b> preset (16 and 32
kernels of 3×3, the seed's 5,000 digits): press <b>Train</b>, then open <b>MNIST › Inside the
CNN</b> to see the kernels its first layer learned and the maps they make of your digit.</p>
"""

LESSONS: tuple[Lesson, ...] = (
    Lesson("A1", "Linear regression with raw autograd", "linear-regression", "regression", PLAYGROUND, _A1, 100.0),
    Lesson("A2", "Perceptron on AND", "perceptron-and", "truth-table", PLAYGROUND, _A2, 100.0),
    Lesson("A3", "XOR MLP", "xor-mlp", "truth-table", PLAYGROUND, _A3, 300.0),
    Lesson("A4", "Manual vs PyTorch", "xor-mlp", "compare", COMPARISON, _A4),
    Lesson("B", "Spiral", "spiral", "workspace", PLAYGROUND, _B, 30.0),
    Lesson("C", "MNIST", "mnist-mlp", "workspace", MNIST, _C),
    Lesson("D", "Convolution, step by step", "mnist-cnn-seed", "convolution", CONVOLUTION, _D),
)


def lesson(key: str) -> Lesson:
    """The lesson with this key (A1 ... C); KeyError names the keys there are."""
    for entry in LESSONS:
        if entry.key == key:
            return entry
    raise KeyError(f"no lesson {key!r}; there are {', '.join(e.key for e in LESSONS)}")


__all__ = ["Lesson", "LESSONS", "lesson", "PLAYGROUND", "COMPARISON", "MNIST", "CONVOLUTION"]
