"""Mutation check of the core: plant realistic one-line bugs, one at a time, and count how many the tests catch.

Run with ``make mutate`` (or ``python benchmarks/mutation.py``); it is not part of ``make test``'s time budget.

Each mutant in :data:`MUTANTS` replaces one exact snippet of one file (it must occur exactly once) with a buggy
version: a dropped term, a swapped channel, an ignored argument, an off-by-one, a wrong axis, a sign or comparison
flip. The package and the tests are copied once to a temporary folder; for each mutant the file is patched there,
the relevant tests (plus the mutated module's doctests) run with ``pytest -x`` in a child process forked after
torch/MONAI are imported (so each run costs its tests, not the imports), and the file is restored.
A mutant is *caught* when that run fails (or exceeds ``--timeout``), *survives* when it passes, and is
*stale* when its snippet is no longer in the file (the code moved on: update the list; stale mutants are not counted).
Before any mutant, the same test selections must pass on the unmodified copy.

The sets are hand-made, each written before looking at which tests would catch what: groups A and B cover
``inferers/iterative.py``, ``losses/``, ``transforms/post``, ``transforms/intensity``, ``networks/`` and ``metrics/``;
group C covers the rest of the core: ``transforms/seeds``, ``transforms/perturbation``, the slice propagation
(``inferers/slice_propagation.py``, ``segmenters.py``, ``network_segmenter.py``, ``slice_grid.py``), ``engines/`` and
``utils/geometry.py``; group D is a later independent set over the whole package (the propagator's stop rules, the
slice grid, the network segmenter, the lesion mask, ``OutputQualityLoss``, the loss helpers, the engines' glue, the
data modules, metrics and checks), written from the source before reading any test; group E is a fifth independent
set over the whole package, likewise written from the source alone, weighted to the code that changed last (the slice
samples' simulated corrections, ``merge_user_seeds`` / ``rejected_by_clicks``, the forked propagation workers) and to
what training relies on; group F is a sixth, likewise written from the source alone, over the code added last
(``edit_prior`` and ``prior_stroke_mm`` in the propagator and the slice samples, ``correct_past_end``,
``parse_config_override``); group G is a seventh, likewise written from the source alone, weighted to the modules
the earlier sets touched least (``networks/blocks``, the retina, lesion, intensity and post transforms, the loss
helpers, metrics, the data readers, folders, datalists and writers, ``inferers/presets.py``,
``split_network_output``) and to the newest code (``PropagationSliceDataset(unstroked_lobe_prob)`` and its lobe
error); group H is an eighth, likewise written from the source alone, over the code added last
(``DiceImprovementLoss(lambda_ce)``'s cross-entropy term, ``seed_from_numpy`` and its use in
``SelfRefinementIteration`` and ``SeedInteraction``, the bundle settings the CLI's ``--method network`` hands to
``SlicePropagator``); group I is a ninth, likewise written from the source alone, weighted to the modules the earlier
sets touched least and to the newest code (``write_nifti``'s one-channel path, the DICOM scan's checks, DICOM SEG, the
2D folders' writer, the engines' iteration updates, the CLI's and ``check_outputs``' path checks); group J is a
tenth, likewise written from the source alone, weighted to the code changed last (``write_nifti``'s one-channel path
and int64 narrowing, ``check_positive_int`` and its users ``IterativeRefinementInferer(max_steps)`` and
``SeedInteraction(max_interactions)``, ``DualThreshold``'s connectivity in every step) and to the modules the earlier
sets touched least (``utils/checks.py``, the IRCAD folders, ``inferers/presets.py``, ``split_network_output``,
``RandMaskPerturbd``, DICOM SEG, the FOV mask); group K is an eleventh, likewise written from the source alone,
spread evenly over the core folders the issue names (transforms, inferers, losses, metrics, networks) in proportion to
their size, weighted to nothing; group L is a twelfth, likewise written from the source alone, spread over the core
folders in proportion to their size, weighted to nothing, and run only after the systematic argument and
architecture tests landed; group M is a thirteenth, likewise written from the source alone, spread over the core
folders in proportion to their size, weighted to nothing, and run only after set L's class-level tests landed;
group N is a fourteenth, likewise written from the source alone, spread over the core folders in proportion to their
size, weighted to nothing, and run only after set M's class-level tests landed; group O is a fifteenth, likewise
written from the source alone, spread over the core folders in proportion to their size, weighted to nothing, and run
only after set N's tests landed; group P is a sixteenth, likewise written from the source alone, spread over the
core folders in proportion to their size, weighted to nothing, and run only after set O's tests landed; group Q is
a seventeenth, likewise written from the source alone, spread over the core folders in proportion to their size,
weighted to nothing, and run only after set O's tests landed (written alongside P, before P's tests landed);
group R is an eighteenth, likewise written from the source alone, over ``transforms/`` (in proportion to its
modules' size) and ``metrics/``, weighted to nothing, and run only after set Q's tests landed (written alongside S,
which covers the inferers, losses and networks).
Group S is a nineteenth, likewise written from the source alone, over ``inferers/``, ``losses/`` and ``networks/``
(each spread over its modules in proportion to their size, weighted to nothing; written alongside set R's transforms
and metrics), run after set Q's tests and the propagator's ``intensity_fence`` landed.
Group T is a twentieth, likewise written from the source alone, over ``transforms/`` (in proportion to its modules'
size) and ``metrics/``, weighted to nothing, with a fixed test selection (the package's whole test folder plus every
systematic file), written alongside group U (``inferers/``, ``losses/``, ``networks/``) and run only after the
session-11 class-level tests landed. Group U is a twenty-first, likewise written from the source alone, over
``inferers/``, ``losses/`` and ``networks/``.
See ``docs/results.md`` for the scores (first run of each group, and after its survivors got tests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    kind: str  # dropped term, swapped channel, ignored argument, off-by-one, wrong axis, sign flip, ...
    path: str  # file inside the repository
    old: str  # exact snippet, found once
    new: str
    tests: tuple[str, ...]  # pytest arguments, relative to the repository root
    group: str = "A"  # "A": the first set; "B": an independent set written after A's survivors got their tests;
    # "C": an independent set over the modules A and B left out (seeds, perturbation, propagation, engines, ...);
    # "D": an independent set over the whole package, written from the source alone before any test was read;
    # "E": a fifth independent set, likewise, weighted to the code changed last and to what training relies on;
    # "F": a sixth, likewise, over the code added last (edit_prior, prior_stroke_mm, correct_past_end, overrides)
    # "G": a seventh, likewise, over the modules A-F touched least and the newest code (unstroked_lobe_prob)
    # "H": an eighth, likewise, over the code added last (lambda_ce, seed_from_numpy, the CLI's bundle settings)
    # "I": a ninth, likewise, over the code A-H touched least and the newest code (one-channel write_nifti, ...)
    # "J": a tenth, likewise, over the code changed last (int64 narrowing, check_positive_int users) and A-I's least
    # "K": an eleventh, likewise, spread over the core folders in proportion to their size, weighted to nothing
    # "L": a twelfth, likewise, spread over the core folders in proportion to their size, weighted to nothing,
    # run only after the systematic argument and architecture tests landed
    # "M": a thirteenth, likewise, spread over the core folders in proportion to their size, weighted to nothing,
    # run only after set L's class-level tests landed
    # "N": a fourteenth, likewise, spread over the core folders in proportion to their size, weighted to nothing,
    # run only after set M's class-level tests landed
    # "O": a fifteenth, likewise, spread over the core folders in proportion to their size, weighted to nothing,
    # run only after set N's tests landed
    # "P": a sixteenth, likewise, spread over the core folders in proportion to their size, weighted to nothing,
    # run only after set O's tests landed
    # "Q": a seventeenth, likewise, spread over the core folders in proportion to their size, weighted to nothing,
    # run only after set O's tests landed (written alongside P, before P's tests)
    # "R": an eighteenth, likewise, over transforms/ (in proportion to its modules' size) and metrics/, weighted to
    # nothing, run only after set Q's tests landed (written alongside S)
    # "S": a nineteenth, likewise, over inferers/, losses/ and networks/ in proportion to their modules' size
    # "T": a twentieth, likewise, over transforms/ (in proportion to its modules' size) and metrics/, with the fixed
    # selection T_TRANSFORMS / T_METRICS, run only after the session-11 class-level tests landed (written alongside U)
    # "U": a twenty-first, likewise, over inferers/, losses/ and networks/, with the fixed selection (alongside T)


IT = "monai_refine/inferers/iterative.py"
DI = "monai_refine/losses/dice_improvement.py"
QL = "monai_refine/losses/quality.py"
DS = "monai_refine/losses/deep_supervision.py"
PA = "monai_refine/transforms/post/array.py"
IA = "monai_refine/transforms/intensity/array.py"
ID = "monai_refine/transforms/intensity/dictionary.py"
PD = "monai_refine/transforms/post/dictionary.py"
MO = "monai_refine/metrics/overlap.py"
NU = "monai_refine/networks/utils.py"
IU = "monai_refine/networks/nets/iterative_unet.py"
QU = "monai_refine/networks/nets/quality_unet.py"
CD = "monai_refine/networks/nets/cdnn.py"
RN = "monai_refine/networks/nets/refinenet.py"
T_IT = ("tests/inferers/test_iterative.py",)
T_DI = ("tests/losses/test_dice_improvement.py",)
T_QL = ("tests/losses/test_quality.py",)
T_DS = ("tests/losses/test_deep_supervision.py",)
T_POST = ("tests/transforms/post",)
T_INT = ("tests/transforms/intensity",)
T_MET = ("tests/metrics",)
T_IU, T_QU = ("tests/networks/nets/test_iterative_unet.py",), ("tests/networks/nets/test_quality_unet.py",)
T_CD, T_RN = ("tests/networks/nets/test_cdnn.py",), ("tests/networks/nets/test_refinenet.py",)

SA = "monai_refine/transforms/seeds/array.py"
SD = "monai_refine/transforms/seeds/dictionary.py"
PE = "monai_refine/transforms/perturbation/array.py"
PP = "monai_refine/transforms/perturbation/dictionary.py"
SP = "monai_refine/inferers/slice_propagation.py"
SG = "monai_refine/inferers/segmenters.py"
NS = "monai_refine/inferers/network_segmenter.py"
SGR = "monai_refine/inferers/slice_grid.py"
EI = "monai_refine/engines/interaction.py"
ER = "monai_refine/engines/refinement.py"
GE = "monai_refine/utils/geometry.py"
T_SEEDS, T_PERT = ("tests/transforms/seeds",), ("tests/transforms/perturbation",)
T_SP, T_SG = ("tests/inferers/test_slice_propagation.py",), ("tests/inferers/test_segmenters.py",)
T_NS, T_SGR = ("tests/inferers/test_network_segmenter.py",), ("tests/inferers/test_slice_grid.py",)
T_EI, T_ER = ("tests/engines/test_interaction.py",), ("tests/engines/test_refinement.py",)
T_GE = ("tests/test_geometry.py",)

TL = "monai_refine/transforms/lesion.py"
OQ = "monai_refine/losses/output_quality.py"
LU = "monai_refine/losses/utils.py"
SS = "monai_refine/data/slice_samples.py"
F2 = "monai_refine/data/folders2d.py"
PT = "monai_refine/data/paths.py"
RD = "monai_refine/data/readers.py"
IF = "monai_refine/data/image_files.py"  # the reading half of readers.py since session 9
WR = "monai_refine/data/writers.py"
DC = "monai_refine/data/dicom.py"
UC = "monai_refine/utils/checks.py"
T_TL, T_OQ = ("tests/transforms/test_lesion.py",), ("tests/losses/test_output_quality.py",)
T_SS, T_F2 = ("tests/data/test_slice_samples.py",), ("tests/data/test_folders2d.py",)
T_RD, T_WR, T_CLI = ("tests/data/test_readers.py",), ("tests/data/test_writers.py",), ("tests/test_cli.py",)
T_PT = ("tests/data/test_paths.py", *T_CLI)  # the paths tests were added after D's first run (which ran T_CLI)

RA = "monai_refine/transforms/retina.py"
DA = "monai_refine/data/datalist.py"
DSG = "monai_refine/data/dicom_seg.py"
CLI = "monai_refine/cli.py"
T_RET, T_DL = ("tests/transforms/test_retina.py",), ("tests/data/test_datalist.py",)

BU = "monai_refine/data/bundle.py"
T_BU = ("tests/data/test_bundle.py",)

UB = "monai_refine/networks/blocks/unet.py"
IR = "monai_refine/data/ircad.py"
PR = "monai_refine/inferers/presets.py"
NO = "monai_refine/utils/network_output.py"
T_NETS, T_IR = ("tests/networks",), ("tests/data/test_ircad.py",)

RND = "monai_refine/utils/randomness.py"
T_LB = ("tests/bundles/test_liver_bundle.py",)

# the systematic test files (set L on): each kind of module is run with its own as well
T_ARGS = (  # inputs unchanged: since set M; documented defaults: since set O's tests; output types: since set P's;
    # argument limits: since set Q's; input limits: from session h38 on
    "tests/test_arguments_matter.py",
    "tests/test_inputs_unchanged.py",
    "tests/test_documented_defaults.py",
    "tests/transforms/test_output_types.py",
    "tests/test_argument_limits.py",
    "tests/test_input_limits.py",
)
T_DICT = ("tests/transforms/test_dict_wrappers.py",)
T_ARCH = ("tests/networks/test_architecture.py",)
# sets T and U on: each mutant runs the whole test folder of its core package plus every systematic file, a fixed
# rule (not a choice per mutant), so that a bug caught anywhere in the suite's part for that package counts as caught
T_SYS = T_ARGS + T_DICT + T_ARCH
T_TRANSFORMS, T_INFERERS = ("tests/transforms", *T_SYS), ("tests/inferers", *T_SYS)
T_LOSSES, T_NETWORKS, T_METRICS = ("tests/losses", *T_SYS), ("tests/networks", *T_SYS), ("tests/metrics", *T_SYS)

MUTANTS: tuple[Mutant, ...] = (
    # --- inferers/iterative.py
    Mutant("iterative: batch-mean change decides for every sample", "wrong axis", IT,
           "deltas = (current - prior[index]).abs().flatten(1).mean(1).tolist()",
           "deltas = [float((current - prior[index]).abs().mean())] * len(active)", T_IT),
    Mutant("iterative: quality-drop comparison flipped", "sign flip", IT,
           "q < older_quality[i]", "q > older_quality[i]", T_IT),
    Mutant("iterative: quality drop returns the worse prior", "swapped term", IT,
           "result[i] = older_logits[i]", "result[i] = prior_logits[i]", T_IT),
    Mutant("iterative: softmax foreground channel swapped", "swapped channel", IT,
           "return torch.softmax(logits, dim=1)[:, 1:2]", "return torch.softmax(logits, dim=1)[:, 0:1]", T_IT),
    Mutant("iterative: one step too few", "off-by-one", IT,
           "for step in range(1, self.max_steps + 1):", "for step in range(1, self.max_steps):", T_IT),
    Mutant("iterative: return_probability ignored", "ignored argument", IT,
           "if self.return_probability:", "if False:", T_IT),
    Mutant("iterative: prior not updated", "dropped term", IT,
           "prior[i] = current[j]", "pass", T_IT),
    Mutant("iterative: tolerance ignored", "ignored argument", IT,
           "deltas[j] < self.tolerance", "deltas[j] < 1e-3", T_IT),
    # --- losses/dice_improvement.py
    Mutant("dice improvement: factor 2 of the Dice dropped", "dropped term", DI,
           "dice = (2.0 * intersection + self.smooth_nr) / denominator",
           "dice = (intersection + self.smooth_nr) / denominator", T_DI),
    Mutant("dice improvement: epsilon ignored", "ignored argument", DI,
           "/ (previous_dice + self.epsilon)", "/ (previous_dice + 0.1)", T_DI),
    Mutant("dice improvement: empty-target score sign flipped", "sign flip", DI,
           "torch.where(empty, 1.0 - prediction.mean(axes, keepdim=True), dice)",
           "torch.where(empty, prediction.mean(axes, keepdim=True), dice)", T_DI),
    Mutant("dice improvement: batch ignored", "ignored argument", DI,
           "        if self.batch:\n            axes = [0] + axes", "        if False:\n            axes = [0] + axes",
           T_DI),
    Mutant("dice improvement: previous keeps the background channel", "swapped channel", DI,
           "input[:, 1:], target[:, 1:], previous[:, 1:]", "input[:, 1:], target[:, 1:], previous[:, :-1]", T_DI),
    Mutant("dice improvement: gradient flows into the previous Dice", "dropped term", DI,
           "        with torch.no_grad():\n            previous_dice",
           "        with torch.enable_grad():\n            previous_dice", T_DI),
    Mutant("dice improvement: softmax over the wrong axis", "wrong axis", DI,
           "logits, input = torch.log_softmax(input, 1), torch.softmax(input, 1)",
           "logits, input = torch.log_softmax(input, 1), torch.softmax(input, 0)", T_DI),
    # --- losses/quality.py and deep_supervision.py
    Mutant("quality loss: lambda ignored", "ignored argument", QL,
           "self.lambda_quality * squared_error", "squared_error", T_QL),
    Mutant("quality loss: true quality is the Dice loss", "dropped term", QL,
           "true_quality = 1.0 - self.prior_dice(prior, target)", "true_quality = self.prior_dice(prior, target)",
           T_QL),
    Mutant("quality loss: channel mean over the batch axis", "wrong axis", QL,
           ".mean(dim=1, keepdim=True)", ".mean(dim=0, keepdim=True)", T_QL),
    Mutant("deep supervision: explicit weights ignored", "ignored argument", DS,
           "weights=None if weights is None else list(weights)", "weights=None", T_DS),
    Mutant("deep supervision: keys in reverse order", "swapped term", DS,
           "input = [input[k] for k in self.keys]", "input = [input[k] for k in reversed(self.keys)]", T_DS),
    # --- transforms/post
    Mutant("dual threshold: hysteresis dropped (every low component kept)", "dropped term", PA,
           "seeded = np.unique(labels[high & (labels > 0)])", "seeded = np.unique(labels[labels > 0])", T_POST),
    Mutant("dual threshold: connectivity ignored", "ignored argument", PA,
           "generate_binary_structure(dims, self.connectivity or dims)", "generate_binary_structure(dims, 1)",
           T_POST),
    Mutant("dual threshold: mass counted as area", "dropped term", PA,
           "masses = ndimage.sum_labels(prob, seeds,", "masses = ndimage.sum_labels(high, seeds,", T_POST),
    Mutant("dual threshold: smallest-mass region chosen", "sign flip", PA,
           "region = seeds == np.argmax(masses) + 1", "region = seeds == np.argmin(masses) + 1", T_POST),
    Mutant("dual threshold: no fallback when the centroid is outside", "dropped term", PA,
           "keep = labels[centre] or labels[region][0]", "keep = labels[centre]", T_POST),
    Mutant("dual threshold: fill_holes ignored", "ignored argument", PA,
           "if self.fill_holes is not None:", "if False:", T_POST),
    Mutant("dual threshold: spacing ignored for the centre distance", "ignored argument", PA,
           "distance_transform_edt(away, sampling=spacing)", "distance_transform_edt(away)", T_POST),
    Mutant("dual threshold: low and high swapped for the regions", "swapped term", PA,
           "labels, _ = ndimage.label(prob[0] > self.low,", "labels, _ = ndimage.label(prob[0] > self.high,", T_POST),
    Mutant("dual threshold dict: select not passed on", "ignored argument", PD,
           "DualThreshold(high, low, select, fill_holes, connectivity, spacing)",
           "DualThreshold(high, low, fill_holes=fill_holes, connectivity=connectivity, spacing=spacing)", T_POST),
    # --- transforms/intensity
    Mutant("percentile: interpolation term dropped", "dropped term", IA,
           "return low + (high - low) * fraction", "return low", T_INT),
    Mutant("percentile: position off by one", "off-by-one", IA,
           "position = q * (ordered.shape[1] - 1)", "position = q * ordered.shape[1]", T_INT),
    Mutant("percentile contrast: clip ignored", "ignored argument", IA,
           "        if self.clip:\n", "        if False:\n", T_INT),
    Mutant("percentile contrast: b_min offset dropped", "dropped term", IA,
           "* scale + self.b_min)", "* scale)", T_INT),
    Mutant("percentile contrast: channel_wise ignored", "ignored argument", IA,
           "groups = image.reshape(image.shape[0], -1) if self.channel_wise else image.reshape(1, -1)",
           "groups = image.reshape(image.shape[0], -1)", T_INT),
    Mutant("colour: CIELAB L takes the a* channel", "swapped channel", IA,
           '"lab_l": lambda rgb: color.rgb2lab(rgb)[..., :1] / 100.0',
           '"lab_l": lambda rgb: color.rgb2lab(rgb)[..., 1:2] / 100.0', T_INT),
    Mutant("colour: max_value ignored", "ignored argument", IA,
           "rgb = np.moveaxis(rgb / self.max_value, 0, -1)", "rgb = np.moveaxis(rgb / 255.0, 0, -1)", T_INT),
    Mutant("colour: CIELAB a*/b* offset dropped", "dropped term", IA,
           "(lab + np.array([0.0, 128.0, 128.0]))", "(lab + np.array([0.0, 128.0, 0.0]))", T_INT),
    Mutant("percentile contrast dict: channel_wise not passed on", "ignored argument", ID,
           "RandPercentileContrast(prob, lower_range, upper_range, b_min, b_max, clip, channel_wise)",
           "RandPercentileContrast(prob, lower_range, upper_range, b_min, b_max, clip)", T_INT),
    # --- networks
    Mutant("iterative unet: prior branch fed the image", "swapped channel", IU,
           "prior_features = self.prior_conv(prior)", "prior_features = self.prior_conv(image)", T_IU),
    Mutant("networks: image and extra channels swapped", "swapped channel", NU,
           "return x[:, :image_channels], x[:, image_channels:]",
           "return x[:, -image_channels:], x[:, :-image_channels]", T_IU + T_RN),
    Mutant("quality unet: quality head without sigmoid", "dropped term", QU,
           "            nn.Sigmoid(),\n", "", T_QU),
    Mutant("cdnn: dropout argument ignored", "ignored argument", CD,
           "layers.append(nn.Dropout(dropout))", "layers.append(nn.Dropout(0.5))", T_CD),
    Mutant("cdnn: even-kernel padding on the wrong side", "off-by-one", CD,
           "((kernel // 2 - 1, kernel // 2) * spatial_dims, 0.0)",
           "((kernel // 2, kernel // 2 - 1) * spatial_dims, 0.0)", T_CD),
    Mutant("refinenet: 1/4x side pooled once", "off-by-one", RN,
           "return [side_1, side_2, self.pool(side_2)]", "return [side_1, side_2, self.pool(side_1)]", T_RN),
    # --- metrics
    Mutant("dice coefficient: factor 2 dropped", "dropped term", MO,
           "else 2.0 * int(np.logical_and(a, b).sum()) / total", "else int(np.logical_and(a, b).sum()) / total",
           T_MET),
    Mutant("overlap scores: PPV computed as recall", "swapped term", MO,
           '"ppv": _ratio(overlap, n_pred, n_label == 0)', '"ppv": _ratio(overlap, n_label, n_pred == 0)', T_MET),
    # --- set B: written after set A's survivors were given tests, and run once before any test was added for it
    Mutant("iterative: prior shape check uses the image channels", "wrong axis", IT,
           "expected = (inputs.shape[0], 1, *inputs.shape[2:])",
           "expected = (inputs.shape[0], inputs.shape[1], *inputs.shape[2:])", T_IT, "B"),
    Mutant("iterative: softmax prior logits channels swapped", "swapped channel", IT,
           "torch.cat([torch.zeros_like(logit), logit], dim=1)", "torch.cat([logit, torch.zeros_like(logit)], dim=1)",
           T_IT, "B"),
    Mutant("iterative: previous quality forgotten", "dropped term", IT,
           "older_quality[i] = q", "older_quality[i] = None", T_IT, "B"),
    Mutant("iterative: prior logits unclamped", "dropped term", IT,
           "torch.logit(prior, eps=_LOGIT_EPS)", "torch.logit(prior)", T_IT, "B"),
    Mutant("iterative: record step numbered from 0", "off-by-one", IT,
           "record = IterationRecord(step, deltas[j], q)", "record = IterationRecord(step - 1, deltas[j], q)",
           T_IT, "B"),
    Mutant("dice improvement: smooth_dr dropped", "dropped term", DI,
           "target_sum + prediction_sum + self.smooth_dr", "target_sum + prediction_sum", T_DI, "B"),
    Mutant("dice improvement: emptiness judged on the prediction", "swapped term", DI,
           "empty = target_sum == 0", "empty = prediction_sum == 0", T_DI, "B"),
    Mutant("dice improvement: sigmoid ignored", "ignored argument", DI,
           "        if self.sigmoid:\n            input = torch.sigmoid(input)\n",
           "        if False:\n            input = torch.sigmoid(input)\n", T_DI, "B"),
    Mutant("dice improvement: one-hot with one class too many", "off-by-one", DI,
           "one_hot(target, num_classes=channels)", "one_hot(target, num_classes=channels + 1)", T_DI, "B"),
    Mutant("quality loss: absolute instead of squared error", "dropped term", QL,
           "squared_error = (quality.view(true_quality.shape) - true_quality) ** 2",
           "squared_error = (quality.view(true_quality.shape) - true_quality).abs()", T_QL, "B"),
    Mutant("deep supervision: weight_mode ignored", "ignored argument", DS,
           "weight_mode=weight_mode,", 'weight_mode="exp",', T_DS, "B"),
    Mutant("dual threshold: image centre off by one", "off-by-one", PA,
           "away[tuple(s // 2 for s in mask.shape)] = False", "away[tuple(s // 2 - 1 for s in mask.shape)] = False",
           T_POST, "B"),
    Mutant("dual threshold: seeds include the high threshold itself", "off-by-one", PA,
           "high = prob[0] > self.high", "high = prob[0] >= self.high", T_POST, "B"),
    Mutant("dual threshold: centroid floored", "off-by-one", PA,
           "np.round(ndimage.center_of_mass(region))", "np.floor(ndimage.center_of_mass(region))", T_POST, "B"),
    Mutant("dual threshold dict: high and low swapped", "swapped term", PD,
           "DualThreshold(high, low, select", "DualThreshold(low, high, select", T_POST, "B"),
    Mutant("percentile contrast: upper percentile drawn from the lower range", "swapped term", IA,
           "self.R.uniform(*self.upper_range, rows)", "self.R.uniform(*self.lower_range, rows)", T_INT, "B"),
    Mutant("percentile contrast: output range sign flipped", "sign flip", IA,
           "(self.b_max - self.b_min) /", "(self.b_max + self.b_min) /", T_INT, "B"),
    Mutant("colour: [0, 1] input check dropped", "dropped term", IA,
           "if self.max_value > 1 and 0 < rgb.max() <= 1 and (rgb != np.round(rgb)).any():", "if False:", T_INT, "B"),
    Mutant("iterative unet: mask branch width from level 0", "off-by-one", IU,
           "max(1, f[0] // 2), max(1, f[1] // 2)", "max(1, f[0] // 2), max(1, f[0] // 2)", T_IU, "B"),
    Mutant("quality unet: max instead of average pooling in the quality head", "swapped term", QU,
           "Pool[Pool.ADAPTIVEAVG, spatial_dims](1)", "Pool[Pool.ADAPTIVEMAX, spatial_dims](1)", T_QU, "B"),
    Mutant("cdnn: divisor one level short", "off-by-one", CD,
           'self.divisor = 2 ** sum(kind == "pool" for kind, _ in _LAYERS)',
           'self.divisor = 2 ** (sum(kind == "pool" for kind, _ in _LAYERS) - 1)', T_CD, "B"),
    Mutant("networks: channel check only catches too few channels", "sign flip", NU,
           "if x.shape[1] != in_channels:", "if x.shape[1] < in_channels:", T_IU + T_RN, "B"),
    Mutant("dice coefficient: one mask counted twice", "swapped term", MO,
           "total = int(a.sum()) + int(b.sum())", "total = int(a.sum()) + int(a.sum())", T_MET, "B"),
    # --- group C: an independent set over seeds, perturbation, slice propagation, segmenters, slice grid, engines,
    # geometry, written from the modules alone before looking at which tests would catch what
    Mutant("discrepancy seeds: foreground from the over-segmentation", "swapped channel", SA,
           "foreground = self._error_seeds(label_np & ~pred_np,", "foreground = self._error_seeds(pred_np & ~label_np,",
           T_SEEDS, "C"),
    Mutant("discrepancy seeds: min_component_size off by one", "off-by-one", SA,
           "kept = sizes >= self.min_component_size", "kept = sizes > self.min_component_size", T_SEEDS, "C"),
    Mutant("discrepancy seeds: one seed too many per component", "off-by-one", SA,
           "rank < self.max_seeds_per_component", "rank <= self.max_seeds_per_component", T_SEEDS, "C"),
    Mutant("seeds: components erased by thinning get no seed", "dropped term", SA,
           "    if missing.size:\n", "    if False:\n", T_SEEDS, "C"),
    Mutant("discrepancy seeds: per_slice ignored for the components", "ignored argument", SA,
           "if per_slice and mask.ndim == 3:", "if False:", T_SEEDS, "C"),
    Mutant("mask seeds: spacing ignored for the ring and the core", "spacing ignored", SA,
           "anisotropy = tuple(spacing)\n        dilated", "anisotropy = (1.0,) * len(spacing)\n        dilated",
           T_SEEDS, "C"),
    Mutant("mask seeds: erosion depth compared in mm against squared mm", "mm vs voxel", SA,
           "> self.erosion_mm**2", "> self.erosion_mm", T_SEEDS, "C"),
    Mutant("mask seeds: no ring along the image border", "swapped term", SA,
           "ring = dilated & ~ndimage.binary_erosion(dilated, border_value=1)",
           "ring = dilated & ~ndimage.binary_erosion(dilated, border_value=0)", T_SEEDS, "C"),
    Mutant("mask seeds: crop one voxel too tight for the ring", "off-by-one", SA,
           "np.floor(margin / spacing).astype(np.int64) + 1)", "np.floor(margin / spacing).astype(np.int64))",
           T_SEEDS, "C"),
    Mutant("seed map: factor 1/2 of the Gaussian dropped (EDT path)", "dropped term", SA,
           "squared *= np.float32(-0.5 / self.sigma**2)", "squared *= np.float32(-1.0 / self.sigma**2)", T_SEEDS, "C"),
    Mutant("seed map: kernel divides by sigma, not sigma squared", "dropped term", SA,
           "np.exp(squared * (-0.5 / sigma**2))", "np.exp(squared * (-0.5 / sigma))", T_SEEDS, "C"),
    Mutant("seed map: truncation radius not squared (EDT path)", "dropped term", SA,
           "np.float32(-0.5 * self.truncate**2)", "np.float32(-0.5 * self.truncate)", T_SEEDS, "C"),
    Mutant("seed map: spacing ignored in the kernel", "spacing ignored", SA,
           "np.arange(-r, r + 1) * h for r, h", "np.arange(-r, r + 1) for r, h", T_SEEDS, "C"),
    Mutant("seeds: bounding box one voxel short at the high end (shared utils.bounding_box)", "off-by-one", GE,
           "min(int(hits[-1]) + int(grow) + 1, size)", "min(int(hits[-1]) + int(grow), size)", T_SEEDS, "C"),
    Mutant("extreme points: jitter clipped one voxel outside", "off-by-one", SA,
           "0, np.asarray(label_np.shape) - 1)", "0, np.asarray(label_np.shape))", T_SEEDS, "C"),
    Mutant("seeds from points: a point on the far edge accepted", "comparison flip", SA,
           "(coords >= np.asarray(shape)).any(1)", "(coords > np.asarray(shape)).any(1)", T_SEEDS, "C"),
    Mutant("discrepancy seeds dict: pred and label swapped", "swapped term", SD,
           "self.transform(d[key], d[self.label_key], randomize=False)",
           "self.transform(d[self.label_key], d[key], randomize=False)", T_SEEDS, "C"),
    Mutant("mask seeds dict: erosion_mm not passed on", "ignored argument", SD,
           "MaskSeeds(margin_mm=margin_mm, erosion_mm=erosion_mm, spacing=spacing)",
           "MaskSeeds(margin_mm=margin_mm, spacing=spacing)", T_SEEDS, "C"),
    Mutant("seed map dict: truncate not passed on", "ignored argument", SD,
           "GaussianSeedMap(sigma=sigma, spacing=spacing, truncate=truncate)",
           "GaussianSeedMap(sigma=sigma, spacing=spacing)", T_SEEDS, "C"),
    # --- transforms/perturbation
    Mutant("mask perturb: morphology radius sign flipped", "sign flip", PE,
           "out = (signed_distance <= radius) if", "out = (signed_distance <= -radius) if", T_PERT, "C"),
    Mutant("mask perturb: shift in voxels instead of mm", "mm vs voxel", PE,
           'shift = (params["shift"] / spacing).tolist()', 'shift = params["shift"].tolist()', T_PERT, "C"),
    Mutant("mask perturb: spacing ignored outside the mask", "spacing ignored", PE,
           "ndimage.distance_transform_edt(~crop, sampling=spacing)", "ndimage.distance_transform_edt(~crop)",
           T_PERT, "C"),
    Mutant("mask perturb: noise band around the original, not the moved boundary", "dropped term", PE,
           "band = np.abs(signed_distance - radius) <= width", "band = np.abs(signed_distance) <= width", T_PERT, "C"),
    Mutant("mask perturb: dice_range upper bound ignored", "ignored argument", PE,
           "self.dice_range[0] <= dice <= self.dice_range[1]", "self.dice_range[0] <= dice", T_PERT, "C"),
    Mutant("mask perturb: crop ignores the noise band", "dropped term", PE,
           "abs(self.radius_range[1])) + self.noise_band_range[1]", "abs(self.radius_range[1]))", T_PERT, "C"),
    Mutant("mask perturb dict: every key gets its own draw", "ignored argument", PP,
           "randomize=randomize and index == 0)", "randomize=randomize)", T_PERT, "C"),
    # --- inferers/slice_propagation.py
    Mutant("propagation: shrink rule ignores the previous area", "dropped term", SP,
           "area < settings.min_area_fraction * previous", "area < settings.min_area_fraction", T_SP, "C"),
    Mutant("propagation: quality stop comparison flipped", "comparison flip", SP,
           "quality < settings.min_quality", "quality > settings.min_quality", T_SP, "C"),
    Mutant("propagation: unseeded components kept", "dropped term", SP,
           "keep[components[np.asarray(foreground, dtype=bool) & mask]] = True", "keep[:] = True", T_SP, "C"),
    Mutant("propagation: fill_holes ignored", "ignored argument", SP,
           "seeds[SeedChannel.FOREGROUND], settings.fill_holes)", "seeds[SeedChannel.FOREGROUND], False)", T_SP, "C"),
    Mutant("propagation: user background click does not cancel a component", "dropped term", SP,
           "rejected |= np.isin(components, islands) & (components > 0)", "pass", T_SP, "C"),
    Mutant("propagation: user foreground click does not clear a background seed", "dropped term", SP,
           "seeds[bg] = (seeds[bg] & ~user[fg]) | user[bg]", "seeds[bg] = seeds[bg] | user[bg]", T_SP, "C"),
    Mutant("propagation: midpoint slice claimed by both annotated slices", "off-by-one", SP,
           "(slices[position - 1] + start) // 2 + 1", "(slices[position - 1] + start) // 2", T_SP, "C"),
    Mutant("propagation: last slice of each direction skipped", "off-by-one", SP,
           "range(start + direction, stop + direction, direction)", "range(start + direction, stop, direction)",
           T_SP, "C"),
    Mutant("propagation: in-plane spacing not swapped with the axes", "wrong axis", SP,
           "spacing = spacing[::-1] if swap else spacing\n", "spacing = spacing\n", T_SP, "C"),
    Mutant("propagation: canonical flips not undone", "wrong axis", SP,
           "result = np.flip(result, flips)", "result = result", T_SP, "C"),
    Mutant("propagation: default slice axis of a plain array is the first", "wrong axis", SP,
           "        return slice_axis_from_affine(image.affine)\n    return 2",
           "        return slice_axis_from_affine(image.affine)\n    return 0", T_SP, "C"),
    Mutant("propagation: local crop reach in mm used as voxels", "mm vs voxel", SP,
           "math.ceil(reach_mm / s) + 2", "math.ceil(reach_mm) + 2", T_SP, "C"),
    # --- utils/geometry.py
    Mutant("geometry: slice axis from the affine's third column, not row", "wrong axis", GE,
           "share = np.abs(linear[2]) /", "share = np.abs(linear[:, 2]) /", T_GE + T_SP, "C"),
    Mutant("geometry: spacing from the last pixdims", "wrong axis", GE,
           "convert_to_numpy(img.pixdim)[:spatial_dims]", "convert_to_numpy(img.pixdim)[-spatial_dims:]",
           T_GE + T_SEEDS, "C"),
    # --- inferers/segmenters.py
    Mutant("graph cut: background cost from the foreground histogram", "swapped channel", SG,
           "self._neg_log_likelihood(img, img[bg])", "self._neg_log_likelihood(img, img[fg])", T_SG, "C"),
    Mutant("graph cut: spacing ignored in the edge lengths", "spacing ignored", SG,
           "float(np.hypot(*(np.asarray(offset) * spacing)))", "float(np.hypot(*offset))", T_SG, "C"),
    Mutant("graph cut: shape term pulls the wrong way outside", "swapped term", SG,
           "source += self.shape_weight * edt.edt(inside,", "source += self.shape_weight * edt.edt(~inside,",
           T_SG, "C"),
    Mutant("graph cut: lambda ignored for the foreground cost", "ignored argument", SG,
           "sink = self.lambda_ * self._neg_log_likelihood", "sink = self._neg_log_likelihood", T_SG, "C"),
    Mutant("random walker: background label returned", "swapped channel", SG,
           "out[(0, *box)] = result == 1", "out[(0, *box)] = result == 2", T_SG, "C"),
    Mutant("random walker: spacing ignored", "spacing ignored", SG,
           "spacing=tuple(spacing), tol=1e-3)", "tol=1e-3)", T_SG, "C"),
    Mutant("segmenters: seed box one pixel short at the high end (shared utils.bounding_box)", "off-by-one", GE,
           "min(int(hits[-1]) + int(grow) + 1, size)", "min(int(hits[-1]) + int(grow), size)", T_SG, "C"),
    # --- inferers/network_segmenter.py and slice_grid.py
    Mutant("network segmenter: quality_logits ignored", "ignored argument", NS,
           "float(1 / (1 + np.exp(-quality))) if self.quality_logits else quality", "quality", T_NS, "C"),
    Mutant("network segmenter: sigma ignored for the seed map", "ignored argument", NS,
           "GaussianSeedMap(sigma=self.sigma, spacing=spacing)", "GaussianSeedMap(spacing=spacing)", T_NS, "C"),
    Mutant("network segmenter: network left in training mode", "dropped term", NS,
           "        self.network.eval()\n", "        pass\n", T_NS, "C"),
    Mutant("slice grid: step inverted (voxels per mm)", "mm vs voxel", SGR,
           "step = self.spacing / spacing_arr", "step = spacing_arr / self.spacing", T_SGR, "C"),
    Mutant("slice grid: centre column from the rows", "wrong axis", SGR,
           "(cols[0] + cols[-1]) / 2)\n", "(rows[0] + rows[-1]) / 2)\n", T_SGR, "C"),
    Mutant("slice grid: grid_sample x/y order swapped", "wrong axis", SGR,
           "np.stack([normalised[1], normalised[0]], axis=-1)", "np.stack([normalised[0], normalised[1]], axis=-1)",
           T_SGR, "C"),
    Mutant("slice grid: seed clash not resolved to foreground", "dropped term", SGR,
           "out[SeedChannel.BACKGROUND] &= ~out[SeedChannel.FOREGROUND]", "pass", T_SGR, "C"),
    Mutant("slice grid: pasted back one pixel short", "off-by-one", SGR,
           "int(np.floor(c + half * s)) + 1, n)", "int(np.floor(c + half * s)), n)", T_SGR, "C"),
    Mutant("slice grid: seed map in slice mm, not grid mm", "mm vs voxel", SGR,
           "GaussianSeedMap(sigma=sigma, spacing=(grid.spacing, grid.spacing))",
           "GaussianSeedMap(sigma=sigma, spacing=spacing)", T_SGR, "C"),
    # --- engines
    Mutant("interaction: stale seed-map channels not cleared", "dropped term", EI,
           "        image[:, -2:] = 0\n", "", T_EI, "C"),
    Mutant("interaction: probability comparison flipped", "comparison flip", EI,
           "self.R.rand() < self.probability", "self.R.rand() > self.probability", T_EI, "C"),
    Mutant("interaction: earlier rounds' seeds forgotten", "dropped term", EI,
           "seeds[b] |= new", "seeds[b] = new", T_EI, "C"),
    Mutant("interaction: spacing argument ignored", "ignored argument", EI,
           "self.spacing if self.spacing is not None else 1.0", "1.0", T_EI, "C"),
    Mutant("interaction: logits thresholded at 0.5", "wrong threshold", EI,
           "return logits.detach() > 0", "return logits.detach() > 0.5", T_EI, "C"),
    Mutant("self-refinement: one feedback pass too many", "off-by-one", ER,
           "for _ in range(self.steps - 1):", "for _ in range(self.steps):", T_ER, "C"),
    Mutant("self-refinement: max_steps never drawn", "off-by-one", ER,
           "self.R.randint(self.min_steps, self.max_steps + 1)", "self.R.randint(self.min_steps, self.max_steps)",
           T_ER, "C"),
    Mutant("self-refinement: logits fed back as the prior", "dropped term", ER,
           "prior = torch.sigmoid(logits.float()).to(image.dtype)", "prior = logits.float().to(image.dtype)",
           T_ER, "C"),
    Mutant("prior batch: initial_prior ignored", "ignored argument", ER,
           "self.initial_prior, device=device)", "0.5, device=device)", T_ER, "C"),
    # --- group D: an independent set over the whole package, written from the modules' source alone (no test read
    # first), preferring code sets A-C left alone: the propagator's stop rules and bookkeeping, the slice grid, the
    # network segmenter, the graph cut's terms, the lesion mask, OutputQualityLoss, the loss helpers, the engines'
    # glue, the data modules (slice samples, 2D folders, paths, readers, writers, DICOM scan), metrics and checks
    Mutant("propagation: max_growth compared with the bare ratio, not the previous area", "dropped term", SP,
           "area > settings.max_growth * previous", "area > settings.max_growth", T_SP, "D"),
    Mutant("propagation: a slice that grew too much is kept", "dropped term", SP,
           "reason, mask, area = StopReason.GREW, np.zeros_like(mask), 0", "reason = StopReason.GREW", T_SP, "D"),
    Mutant("propagation: a slice below min_quality is kept", "dropped term", SP,
           "reason, mask, area = StopReason.QUALITY_DROP, np.zeros_like(mask), 0", "reason = StopReason.QUALITY_DROP",
           T_SP, "D"),
    Mutant("propagation: the volume's last slice never reached", "off-by-one", SP,
           "high = depth - 1 if position", "high = depth - 2 if position", T_SP, "D"),
    Mutant("propagation: canonical_slices returns the unswapped spacing", "wrong axis", SP,
           "return slices, axis, spacing[::-1] if swap else spacing", "return slices, axis, spacing", T_SP, "D"),
    Mutant("propagation: local crop ignores the user seeds outside the prior's box", "ignored argument", SP,
           "anchor = prior if self.user is None else prior | self.user[:, index].any(0)", "anchor = prior", T_SP, "D"),
    Mutant("propagation: negative slice_axis not wrapped", "off-by-one", SP,
           "return int(slice_axis) % 3", "return int(slice_axis)", T_SP, "D"),
    Mutant("slice grid: grid centred half a pixel off", "off-by-one", SGR,
           "offsets = np.arange(self.size, dtype=np.float64) - (self.size - 1) / 2",
           "offsets = np.arange(self.size, dtype=np.float64) - self.size / 2", T_SGR + T_NS, "D"),
    Mutant("slice grid: a seed one pixel past the grid accepted", "comparison flip", SGR,
           "(index < self.size)).all(1)", "(index <= self.size)).all(1)", T_SGR + T_NS, "D"),
    Mutant("slice grid: prior resampled bilinearly", "swapped term", SGR,
           'grid.sample(np.asarray(prior, dtype=np.float32), frame, mode="nearest")',
           'grid.sample(np.asarray(prior, dtype=np.float32), frame, mode="bilinear")', T_SGR + T_NS, "D"),
    Mutant("network segmenter: the network's mode not restored", "ignored argument", NS,
           "self.network.train(training)", "self.network.train(False)", T_NS, "D"),
    Mutant("network segmenter: outside the field of view filled with logit 0 (p = 0.5)", "wrong constant", NS,
           "fill=-1e4)", "fill=0.0)", T_NS, "D"),
    Mutant("network segmenter: image and prior swapped without a grid", "swapped channel", NS,
           "parts = {RefineKeys.IMAGE: image, RefineKeys.PRIOR: prior}",
           "parts = {RefineKeys.IMAGE: prior, RefineKeys.PRIOR: image}", T_NS, "D"),
    Mutant("graph cut: runs with only one kind of seed", "comparison flip", SG,
           "if not fg.any() or not bg.any():", "if not fg.any() and not bg.any():", T_SG, "D"),
    Mutant("graph cut: histogram index off by one at intensity 1", "off-by-one", SG,
           "np.clip((values * self.bins).astype(np.int64), 0, self.bins - 1)",
           "np.clip((values * self.bins).astype(np.int64), 0, self.bins)", T_SG, "D"),
    Mutant("graph cut: boundary term divides by sigma, not sigma squared", "dropped term", SG,
           "(2 * self.sigma**2)", "(2 * self.sigma)", T_SG, "D"),
    Mutant("mask seeds: eroded core reaches the image border", "swapped term", SA,
           "edt.edtsq(crop, anisotropy=anisotropy, black_border=True)",
           "edt.edtsq(crop, anisotropy=anisotropy, black_border=False)", T_SEEDS, "D"),
    Mutant("extreme points: jitter only towards higher indices (MONAI's own bug)", "dropped term", SA,
           "self.R.uniform(-self.pert, self.pert, points.shape)", "self.R.uniform(0, self.pert, points.shape)",
           T_SEEDS, "D"),
    Mutant("discrepancy seeds dict: no new draw per call", "dropped term", SD,
           "        self.randomize()\n        for key, seeds_key in self.key_iterator(d, self.seeds_key):",
           "        for key, seeds_key in self.key_iterator(d, self.seeds_key):", T_SEEDS, "D"),
    Mutant("extreme point seeds dict: pert not passed on", "ignored argument", SD,
           "ExtremePointSeeds(pert=pert)", "ExtremePointSeeds()", T_SEEDS, "D"),
    Mutant("seed dicts: random state not handed to the array transform", "dropped term", SD,
           "        self.transform.set_random_state(seed, state)\n", "", T_SEEDS, "D"),
    Mutant("mask perturb: 3D rotation about one axis only", "dropped term", PE,
           "1 if dims == 2 else 3", "1", T_PERT, "D"),
    Mutant("mask perturb: the last axis is never flipped", "off-by-one", PE,
           "int(self.R.randint(dims))", "int(self.R.randint(dims - 1))", T_PERT, "D"),
    Mutant("mask perturb: noise flips the complement fraction", "comparison flip", PE,
           "field[band] < fraction", "field[band] > fraction", T_PERT, "D"),
    Mutant("dual threshold: centre mode keeps the farthest component", "sign flip", PA,
           "nearest = np.argmin(", "nearest = np.argmax(", T_POST, "D"),
    # the lesion mask's component and hole steps moved to post/array.py's largest_filled_region (79949b9, shared with
    # FieldOfViewMask): the two mutants follow them there, with the lesion and FOV tests
    Mutant("lesion mask: 4-connected largest component", "wrong constant", PA,
           "KeepLargestConnectedComponent(connectivity=2)(mask)", "KeepLargestConnectedComponent(connectivity=1)(mask)",
           T_TL + T_RET, "D"),
    Mutant("lesion mask: holes not filled", "dropped term", PA,
           "mask = FillHoles(connectivity=1)(KeepLargestConnectedComponent(connectivity=2)(mask))",
           "mask = KeepLargestConnectedComponent(connectivity=2)(mask)", T_TL + T_RET, "D"),
    Mutant("lesion mask dict: mask written over the image", "ignored argument", TL,
           "d[self.mask_key] = self.transform(d[key])", "d[key] = self.transform(d[key])", T_TL, "D"),
    Mutant("output quality: factor 2 of the achieved Dice dropped", "dropped term", OQ,
           "2 * overlap / total.clamp_min(1)", "overlap / total.clamp_min(1)", T_OQ, "D"),
    Mutant("output quality: both-empty Dice is 0", "wrong constant", OQ,
           "torch.ones_like(total))", "torch.zeros_like(total))", T_OQ, "D"),
    Mutant("output quality: logits thresholded at 0.5", "wrong threshold", OQ,
           "pred, truth = (logits > 0)", "pred, truth = (logits > 0.5)", T_OQ, "D"),
    Mutant("output quality: lambda ignored", "ignored argument", OQ,
           "self.lambda_quality * ((quality - dice) ** 2).mean()", "((quality - dice) ** 2).mean()", T_OQ, "D"),
    Mutant("loss helpers: activation applied to the prior too", "swapped term", LU,
           ", DiceLoss(**common)", ", DiceLoss(sigmoid=sigmoid, softmax=softmax, **common)", T_QL + T_DI, "D"),
    Mutant("loss helpers: sum reduction returns the mean", "swapped term", LU,
           "return torch.sum(f)", "return torch.mean(f)", T_QL + T_DI, "D"),
    Mutant("interaction: seed maps written into the first channels", "wrong axis", EI,
           "image[:, -2:] = torch.as_tensor(maps", "image[:, :2] = torch.as_tensor(maps", T_EI, "D"),
    Mutant("interaction: one round too few", "off-by-one", EI,
           "for _ in range(self.max_interactions):", "for _ in range(self.max_interactions - 1):", T_EI, "D"),
    Mutant("prior batch: inference batch loses the prior", "dropped term", ER,
           'return image, label, (), {"prior": prior}', "return image, label, (), {}", T_ER, "D"),
    Mutant("prior batch: prior concatenated before the image", "swapped channel", ER,
           "torch.cat([image, prior], dim=1), {self.label_key", "torch.cat([prior, image], dim=1), {self.label_key",
           T_ER, "D"),
    Mutant("self-refinement: two-step draws not fed back", "off-by-one", ER,
           "if self.steps < 2:", "if self.steps < 3:", T_ER, "D"),
    Mutant("slice samples: a sample 'past the end' may be the end slice itself", "off-by-one", SS,
           "self.R.randint(1, self.beyond + 1)", "self.R.randint(0, self.beyond + 1)", T_SS, "D"),
    Mutant("slice samples: skip_prob's two-slice prior never used", "swapped term", SS,
           "for offset in (step, 1):", "for offset in (1, step):", T_SS, "D"),
    Mutant("slice samples: volumes drawn uniformly, not by labelled slices", "ignored argument", SS,
           "[p.size for p in self.present]", "[1 for p in self.present]", T_SS, "D"),
    Mutant("slice samples: prior crop padded with the coarsest spacing", "wrong axis", SS,
           "/ min(spacing))) + 2", "/ max(spacing))) + 2", T_SS, "D"),
    Mutant("slice samples: label not oriented like the image", "dropped term", SS,
           "            if isinstance(image, MetaTensor):\n                mask = MetaTensor",
           "            if False:\n                mask = MetaTensor", T_SS, "D"),
    Mutant("2D folders: upper-case extensions skipped", "dropped term", F2,
           "f.suffix.lower() in FOLDER_IMAGE_EXTENSIONS", "f.suffix in FOLDER_IMAGE_EXTENSIONS", T_F2, "D"),
    Mutant("2D folders: mask size not checked", "dropped term", F2,
           "if mask_size != size:", "if False:", T_F2, "D"),
    Mutant("PH2: the other split's items", "comparison flip", F2,
           'if row["split"] == split]', 'if row["split"] != split]', T_F2, "D"),
    Mutant("paths: a sibling folder with a common prefix counts as inside", "dropped term", PT,
           "path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)", "path.startswith(folder)", T_PT,
           "D"),
    Mutant("paths: overwrite ignored", "ignored argument", PT,
           "if path.exists() and not overwrite:", "if path.exists():", T_PT, "D"),
    Mutant("paths: two outputs on one path not detected", "dropped term", PT,
           "        seen[real] = label\n", "", T_PT, "D"),
    Mutant("readers: origin not turned from LPS to RAS", "dropped term", IF,
           "affine[: min(rank, 2)] *= -1.0", "affine[: min(rank, 2), :rank] *= -1.0", T_RD, "D"),
    Mutant("readers: gap series keep the file-to-file spacing", "dropped term", IF,
           "        spacing[-1] = series.slice_spacing\n", "", T_RD, "D"),
    Mutant("writers: hard link to an input not detected", "dropped term", WR,
           "same = path.exists() and Path(source).exists() and os.path.samefile(source, path)", "same = False",
           T_WR, "D"),
    Mutant("writers: the image's own source not protected", "ignored argument", WR,
           "inputs=(*inputs, *([source] if source else []))", "inputs=inputs", T_WR, "D"),
    Mutant("dicom: gap size counts the step, not the missing slices", "off-by-one", DC,
           "(k, int(whole[k]) - 1)", "(k, int(whole[k]))", T_RD, "D"),
    Mutant("dicom: slice normal reversed", "swapped term", DC,
           "np.cross(orientation[:3], orientation[3:])", "np.cross(orientation[3:], orientation[:3])", T_RD, "D"),
    Mutant("overlap scores: ignore_empty keyed on the prediction", "swapped term", MO,
           "if ignore_empty and n_label == 0:", "if ignore_empty and n_pred == 0:", T_MET, "D"),
    Mutant("overlap scores: empty label gives sensitivity 1 for any prediction", "wrong constant", MO,
           '"sensitivity": _ratio(overlap, n_label, n_pred == 0)', '"sensitivity": _ratio(overlap, n_label, True)',
           T_MET, "D"),
    Mutant("checks: range with lo > hi accepted", "dropped term", UC,
           "low <= pair[0] <= pair[1] <= high", "low <= pair[0] <= high", T_PERT + T_INT, "D"),
    Mutant("geometry: atol ignored", "ignored argument", GE,
           "rtol=0.0, atol=atol)", "rtol=0.0, atol=1e-2)", T_GE + T_RD, "D"),
    # --- group E: a fifth independent set over the whole package, written from the modules' source alone (no test
    # read first), weighted to the code changed last (the simulated corrections of the slice samples, merge_user_seeds
    # and rejected_by_clicks's per-disc boxes, the forked propagation workers) and to the code training relies on
    Mutant("slice samples: corrections' leaks and misses swapped (no stroke at all)", "swapped term", SS,
           "for error in (result & ~label, label & ~result)]", "for error in (label & ~result, result & ~label)]",
           T_SS, "E"),
    Mutant("slice samples: min_correction_mm2 compared with pixels, not mm²", "mm vs voxel", SS,
           "if size * np.prod(spacing) >= self.min_correction_mm2", "if size >= self.min_correction_mm2", T_SS, "E"),
    Mutant("slice samples: the smallest error regions corrected first", "sign flip", SS,
           "sorted(regions, reverse=True)[", "sorted(regions)[", T_SS, "E"),
    Mutant("slice samples: max_corrections regions never drawn", "off-by-one", SS,
           "self.R.randint(1, self.max_corrections + 1)", "self.R.randint(1, self.max_corrections)", T_SS, "E"),
    Mutant("slice samples: corrector given the label as the prediction", "swapped term", SS,
           "self.corrector(shown[None], label[None])", "self.corrector(label[None], shown[None])", T_SS, "E"),
    Mutant("slice samples: corrections against the prior slice's label", "wrong index", SS,
           "user = self._corrections(result, self.labels[volume][z], spacing)",
           "user = self._corrections(result, self.labels[volume][neighbour], spacing)", T_SS, "E"),
    Mutant("slice samples: user strokes OR-ed in, not merged as the propagator merges them", "dropped term", SS,
           "seeds = merge_user_seeds(seeds, prior[0], user, spacing)", "seeds = seeds | user", T_SS, "E"),
    Mutant("slice samples: correction_prob comparison flipped", "comparison flip", SS,
           "self.R.rand() < self.correction_prob", "self.R.rand() > self.correction_prob", T_SS, "E"),
    Mutant("slice samples: self-fed prior segmented on the target slice, not the middle one", "wrong index", SS,
           "window_intensity(self.images[volume][middle][None], window)",
           "window_intensity(self.images[volume][z][None], window)", T_SS, "E"),
    Mutant("slice samples: end sample's prior one slice further inside the organ", "off-by-one", SS,
           "neighbour = end - direction * (step - 1)", "neighbour = end - direction * step", T_SS, "E"),
    Mutant("slice samples: window half-width is the whole width", "dropped term", SS,
           "half = (self.window[1] - self.window[0]) / 2 *", "half = (self.window[1] - self.window[0]) *", T_SS, "E"),
    Mutant("slice samples: label resampled bilinearly", "swapped term", SS,
           'label = grid.sample(self.labels[volume][z][None].astype(np.float32), frame, mode="nearest")',
           'label = grid.sample(self.labels[volume][z][None].astype(np.float32), frame, mode="bilinear")', T_SS, "E"),
    Mutant("merge user seeds: rejection gated on the foreground clicks", "swapped channel", SP,
           "    if user[bg].any():\n        seeds[fg] &= ~rejected_by_clicks",
           "    if user[fg].any():\n        seeds[fg] &= ~rejected_by_clicks", T_SP, "E"),
    Mutant("rejected by clicks: largest component's label off by one", "off-by-one", SP,
           "[1:].argmax()) + 1", "[1:].argmax())", T_SP, "E"),
    Mutant("rejected by clicks: disc radius without the factor 2", "dropped term", SP,
           "radius = 2 * depth[tuple(point)]", "radius = depth[tuple(point)]", T_SP, "E"),
    Mutant("rejected by clicks: disc box reach in mm used as pixels", "mm vs voxel", SP,
           "reach = np.floor(radius / spacing).astype(int)", "reach = np.floor(radius).astype(int)", T_SP, "E"),
    Mutant("rejected by clicks: disc box one pixel short at the high end", "off-by-one", SP,
           "np.minimum(point + reach + 1, prior.shape)", "np.minimum(point + reach, prior.shape)", T_SP, "E"),
    Mutant("rejected by clicks: disc distance ignores the spacing", "spacing ignored", SP,
           "sum((o * s) ** 2 for o, s in zip(offsets, spacing))", "sum(o**2 for o in offsets)", T_SP, "E"),
    Mutant("propagation: a user background seed vouches for the slice", "swapped channel", SP,
           "self.user[SeedChannel.FOREGROUND, index][box]", "self.user[SeedChannel.BACKGROUND, index][box]", T_SP, "E"),
    Mutant("propagation workers: forked results not written back", "dropped term", SP,
           "                    for record, mask in zip(records, masks):\n"
           "                        self.result[record.index] = mask\n", "", T_SP, "E"),
    Mutant("middle slice: the lower middle of an even count", "off-by-one", SP,
           "present[present.size // 2]", "present[(present.size - 1) // 2]", T_SP, "E"),
    Mutant("canonical frame: flips the axes that point forward", "sign flip", SP,
           "if linear[world, axis] < 0)", "if linear[world, axis] > 0)", T_SP, "E"),
    Mutant("window intensity: divided by high, not by the width", "dropped term", SP,
           "out /= high - low", "out /= high", T_SP, "E"),
    Mutant("network segmenter: seed maps without the slice spacing", "spacing ignored", NS,
           "GaussianSeedMap(sigma=self.sigma, spacing=spacing)(seeds)", "GaussianSeedMap(sigma=self.sigma)(seeds)",
           T_NS, "E"),
    Mutant("network segmenter: inferer ignored", "ignored argument", NS,
           "self.inferer(x, self.network) if self.inferer is not None else self.network(x)", "self.network(x)",
           T_NS, "E"),
    Mutant("slice grid: grid_sample coordinates normalised by size, not size - 1", "off-by-one", SGR,
           "scale = np.asarray([2.0 / max(shape[0] - 1, 1), 2.0 / max(shape[1] - 1, 1)])",
           "scale = np.asarray([2.0 / shape[0], 2.0 / shape[1]])", T_SGR + T_NS, "E"),
    Mutant("slice grid: seed position truncated, not rounded", "off-by-one", SGR,
           "index = np.rint((points - centre) / step + (self.size - 1) / 2).astype(np.int64)",
           "index = ((points - centre) / step + (self.size - 1) / 2).astype(np.int64)", T_SGR + T_NS, "E"),
    Mutant("network input: image resampled by nearest neighbour", "swapped term", SGR,
           'parts.append(grid.sample(image, frame, mode="bilinear"))',
           'parts.append(grid.sample(image, frame, mode="nearest"))', T_SGR + T_NS, "E"),
    Mutant("interaction: only samples wrong everywhere get seeds", "wrong reduction", EI,
           "(prediction != target).flatten(1).any(1)", "(prediction != target).flatten(1).all(1)", T_EI, "E"),
    Mutant("interaction: every sample's seed map at the first sample's spacing", "wrong index", EI,
           "maps[b] = seed_maps[spacings[b]](seeds[b])", "maps[b] = seed_maps[spacings[0]](seeds[b])", T_EI, "E"),
    Mutant("batch inputs loss: argument names and target keys swapped", "swapped term", ER,
           "extra = {arg: target[key] for arg, key in self.input_keys.items()}",
           "extra = {key: target[arg] for arg, key in self.input_keys.items()}", T_ER, "E"),
    Mutant("prior batch: as_input inverted", "sign flip", ER,
           "if not self.as_input:", "if self.as_input:", T_ER, "E"),
    Mutant("dice improvement: to_onehot_y ignored", "ignored argument", DI,
           "        if self.to_onehot_y:\n", "        if False:\n", T_DI, "E"),
    Mutant("quality loss: refined mask's Dice without the activation", "swapped term", QL,
           "reduce_loss(self.dice(input, target) + self.lambda_quality",
           "reduce_loss(self.prior_dice(input, target) + self.lambda_quality", T_QL, "E"),
    Mutant("output quality: quality logit not squashed", "dropped term", OQ,
           "quality = torch.sigmoid(input[self.quality_key].reshape(-1).float())",
           "quality = input[self.quality_key].reshape(-1).float()", T_OQ, "E"),
    Mutant("seed components: diagonal neighbours connected", "wrong constant", SA,
           "structure = ndimage.generate_binary_structure(mask.ndim, 1)",
           "structure = ndimage.generate_binary_structure(mask.ndim, mask.ndim)", T_SEEDS, "E"),
    Mutant("discrepancy seeds: randomize=True reuses the previous draw", "ignored argument", SA,
           "if randomize or self._draw is None:", "if self._draw is None:", T_SEEDS, "E"),
    Mutant("seeds from points: negative coordinates accepted (they wrap around)", "dropped term", SA,
           "outside = (coords < 0).any(1) | (coords >= np.asarray(shape)).any(1)",
           "outside = (coords >= np.asarray(shape)).any(1)", T_SEEDS, "E"),
    Mutant("mask perturb: every retry applies the first draw", "dropped term", PE,
           "                self._draw(mask.shape)\n", "                pass\n", T_PERT, "E"),
    Mutant("mask perturb: Dice not recorded in the MetaTensor", "dropped term", PE,
           "            result.meta = {**result.meta, RefineKeys.QUALITY: dice}\n", "            pass\n", T_PERT, "E"),
    Mutant("lesion mask: the bright region taken as the lesion", "comparison flip", TL,
           "mask[0] = grey < threshold_otsu(grey)", "mask[0] = grey > threshold_otsu(grey)", T_TL, "E"),
    Mutant("FOV mask: channel ignored", "ignored argument", RA,
           "img[self.channel : self.channel + 1]", "img[0:1]", T_RET, "E"),
    Mutant("colour: the green channel takes blue", "swapped channel", IA,
           '"green": lambda rgb: rgb[..., 1:2],', '"green": lambda rgb: rgb[..., 2:3],', T_INT + T_RET, "E"),
    Mutant("percentile contrast: percentiles used as fractions", "dropped term", IA,
           "dtype=torch.float64, device=image.device) / 100.0", "dtype=torch.float64, device=image.device)", T_INT,
           "E"),
    Mutant("refinenet: quality head pools the mean twice (max pooling lost)", "dropped term", RN,
           "pooled = torch.cat([h.flatten(2).mean(2), h.flatten(2).amax(2)], dim=1)",
           "pooled = torch.cat([h.flatten(2).mean(2), h.flatten(2).mean(2)], dim=1)", T_RN, "E"),
    Mutant("quality unet: mask before the image in the input", "swapped channel", QU,
           "self.unet(torch.cat([image, mask], dim=1))", "self.unet(torch.cat([mask, image], dim=1))", T_QU, "E"),
    Mutant("readers: missing slices filled with 0, not the volume's minimum", "wrong constant", IF,
           "series.depth), array.min(), dtype=array.dtype)", "series.depth), 0, dtype=array.dtype)", T_RD, "E"),
    Mutant("load mask: several labels accepted", "dropped term", IF,
           "    if low != high:\n", "    if False:\n", T_RD, "E"),
    Mutant("dicom: missing slice indices one too low", "off-by-one", DC,
           "range(k + offset + 1, k + offset + 1 + n)", "range(k + offset, k + offset + n)", T_RD, "E"),
    Mutant("dicom: a file's grid index counts the gap after it", "off-by-one", DC,
           "            index.append(k + offset)\n            offset += gaps.get(k, 0)\n",
           "            offset += gaps.get(k, 0)\n            index.append(k + offset)\n", T_RD, "E"),
    Mutant("dicom: files not sorted by slice position", "dropped term", DC,
           "        items.sort()\n", "", T_RD, "E"),
    Mutant("writers: temp file loses the output's extension", "swapped term", WR,
           'tmp = path.with_name(f".tmp-{secrets.token_hex(4)}-{path.name}")',
           'tmp = path.with_name(f"{path.name}.tmp-{secrets.token_hex(4)}")', T_WR, "E"),
    Mutant("2D folders: image size returned as (width, height)", "swapped term", F2,
           "    return height, width\n", "    return width, height\n", T_F2, "E"),
    Mutant("datalist: an empty suffix strips the whole stem", "off-by-one", DA,
           "stem[: len(stem) - len(suffix)]", "stem[: -len(suffix)]", T_DL, "E"),
    Mutant("DICOM SEG: frames with rows and columns swapped", "wrong axis", DSG,
           "array[0].transpose(2, 1, 0)", "array[0].transpose(2, 0, 1)", T_CLI, "E"),
    Mutant("checks: probability 0 refused", "comparison flip", UC,
           "if not 0.0 <= value <= 1.0:", "if not 0.0 < value <= 1.0:", T_PERT + T_INT, "E"),
    Mutant("bounding box: no margin at the low end", "dropped term", GE,
           "slice(max(int(hits[0]) - int(grow), 0),", "slice(max(int(hits[0]), 0),", T_GE + T_SEEDS + T_SG, "E"),
    Mutant("cli: a click on the far edge accepted", "off-by-one", CLI,
           "any(not 0 <= c < s for c, s in zip(p, size))", "any(not 0 <= c <= s for c, s in zip(p, size))", T_CLI,
           "E"),
    Mutant("cli: slice axis from the direction's column, not its row", "wrong axis", CLI,
           "share = [round(abs(float(direction[2][j])), 9) for j in range(3)]",
           "share = [round(abs(float(direction[j][2])), 9) for j in range(3)]", T_CLI, "E"),
    Mutant("evaluate: PPV undefined when the reference (not the prediction) is empty", "swapped term", CLI,
           'scores["ppv"] = float(ppv.flatten()[0]) if has_p else nan',
           'scores["ppv"] = float(ppv.flatten()[0]) if has_r else nan', T_CLI, "E"),
    # --- group F: a sixth independent set, written from the source alone (no test read first), over the code added
    # last: the slice samples' correct_past_end and prior_stroke_mm, edit_prior and SlicePropagator(prior_stroke_mm),
    # and parse_config_override
    Mutant("config override: an empty id accepted", "dropped term", BU,
           "if not sep or not key:", "if not sep:", T_BU, "F"),
    Mutant("config override: text without '=' accepted", "dropped term", BU,
           "if not sep or not key:", "if not key:", T_BU, "F"),
    Mutant("config override: split at the last '=', not the first", "swapped term", BU,
           'key, sep, value = text.partition("=")', 'key, sep, value = text.rpartition("=")', T_BU, "F"),
    Mutant("config override: value returned as text, not parsed as JSON", "dropped term", BU,
           "return key, json.loads(value)", "return key, value", T_BU, "F"),
    Mutant("edit prior: stroke width used as the disc radius (twice as wide)", "radius vs diameter", SP,
           "sampling=spacing) <= width_mm / 2", "sampling=spacing) <= width_mm", T_SP + T_SS, "F"),
    Mutant("edit prior: stroke width in pixels, not mm", "spacing ignored", SP,
           "strokes = ndimage.distance_transform_edt(~strokes, sampling=spacing)",
           "strokes = ndimage.distance_transform_edt(~strokes)", T_SP + T_SS, "F"),
    Mutant("edit prior: the part the background clicks reject kept", "dropped term", SP,
           "(prior & ~rejected_by_clicks(prior, user[bg], spacing) & ~user[bg]) | strokes",
           "(prior & ~user[bg]) | strokes", T_SP + T_SS, "F"),
    Mutant("edit prior: background seed pixels stay in the prior", "dropped term", SP,
           "(prior & ~rejected_by_clicks(prior, user[bg], spacing) & ~user[bg]) | strokes",
           "(prior & ~rejected_by_clicks(prior, user[bg], spacing)) | strokes", T_SP + T_SS, "F"),
    Mutant("edit prior: strokes drawn from the background channel", "swapped channel", SP,
           "    strokes = user[fg]\n", "    strokes = user[bg]\n", T_SP + T_SS, "F"),
    Mutant("edit prior: width ignored (the seed pixels alone added)", "ignored argument", SP,
           "(prior & ~rejected_by_clicks(prior, user[bg], spacing) & ~user[bg]) | strokes",
           "(prior & ~rejected_by_clicks(prior, user[bg], spacing) & ~user[bg]) | user[fg]", T_SP + T_SS, "F"),
    Mutant("edit prior: an infinite width accepted", "dropped term", SP,
           "if not np.isfinite(width_mm) or width_mm < 0:", "if width_mm < 0:", T_SP + T_SS, "F"),
    Mutant("propagation: prior_stroke_mm=0 treated as off", "comparison flip", SP,
           "if settings.prior_stroke_mm is not None and user is not None:",
           "if settings.prior_stroke_mm and user is not None:", T_SP, "F"),
    Mutant("propagation: prior_stroke_mm not passed to edit_prior", "ignored argument", SP,
           "prior = edit_prior(prior, user, self.spacing, settings.prior_stroke_mm)",
           "prior = edit_prior(prior, user, self.spacing)", T_SP, "F"),
    Mutant("propagation: seeds propagated from the edited prior", "swapped order", SP,
           "            seeds = self._seeds(prior, user)\n"
           "            if settings.prior_stroke_mm is not None and user is not None:\n"
           "                prior = edit_prior(prior, user, self.spacing, settings.prior_stroke_mm)\n",
           "            if settings.prior_stroke_mm is not None and user is not None:\n"
           "                prior = edit_prior(prior, user, self.spacing, settings.prior_stroke_mm)\n"
           "            seeds = self._seeds(prior, user)\n", T_SP, "F"),
    Mutant("propagator: prior_stroke_mm=0 refused", "comparison flip", SP,
           "np.isfinite(prior_stroke_mm) and prior_stroke_mm >= 0):",
           "np.isfinite(prior_stroke_mm) and prior_stroke_mm > 0):", T_SP, "F"),
    Mutant("slice samples: correct_past_end keyed on the neighbour's label, not the target's", "wrong index", SS,
           "(self.correct_past_end or self.labels[volume][z].any())",
           "(self.correct_past_end or self.labels[volume][neighbour].any())", T_SS, "F"),
    Mutant("slice samples: correct_past_end=True corrects only samples inside the organ", "wrong operator", SS,
           "(self.correct_past_end or self.labels[volume][z].any())",
           "(self.correct_past_end and self.labels[volume][z].any())", T_SS, "F"),
    Mutant("slice samples: the segmenter's result edited as the prior", "swapped term", SS,
           "prior = edit_prior(prior[0], user, spacing, self.prior_stroke_mm)[None]",
           "prior = edit_prior(result, user, spacing, self.prior_stroke_mm)[None]", T_SS, "F"),
    Mutant("slice samples: prior edited before the user seeds are merged", "swapped order", SS,
           "            seeds = merge_user_seeds(seeds, prior[0], user, spacing)\n"
           "            if self.prior_stroke_mm is not None:\n"
           "                prior = edit_prior(prior[0], user, spacing, self.prior_stroke_mm)[None]\n",
           "            if self.prior_stroke_mm is not None:\n"
           "                prior = edit_prior(prior[0], user, spacing, self.prior_stroke_mm)[None]\n"
           "            seeds = merge_user_seeds(seeds, prior[0], user, spacing)\n", T_SS, "F"),
    Mutant("slice samples: an infinite prior_stroke_mm accepted", "dropped term", SS,
           "not (np.isfinite(prior_stroke_mm) and prior_stroke_mm >= 0)", "not prior_stroke_mm >= 0", T_SS, "F"),
    Mutant("slice samples: prior_stroke_mm=0 treated as off", "comparison flip", SS,
           "            if self.prior_stroke_mm is not None:\n", "            if self.prior_stroke_mm:\n", T_SS, "F"),
    # --- group G: a seventh independent set, written from the source alone (no test read first), weighted to the
    # modules A-F touched least (networks/blocks, the retina, lesion, intensity and post transforms, the loss
    # helpers, metrics, the data modules, presets, split_network_output) and to the newest code
    # (PropagationSliceDataset(unstroked_lobe_prob) and the lobe error it draws)
    Mutant("unet encoder: dropout not passed to the levels", "ignored argument", UB,
           "            self.levels.append(block(spatial_dims, c_in, c_out, act, norm, bias, dropout))",
           "            self.levels.append(block(spatial_dims, c_in, c_out, act, norm, bias))", T_NETS, "G"),
    Mutant("unet features: upsample mode not passed to the decoder", "ignored argument", UB,
           "spatial_dims, f[-2], f[-3::-1], (*f[-3:0:-1], f[-1]), act, norm, bias, dropout, upsample\n",
           "spatial_dims, f[-2], f[-3::-1], (*f[-3:0:-1], f[-1]), act, norm, bias, dropout\n", T_NETS, "G"),
    Mutant("unet encoder: downsample_first ignored", "ignored argument", UB,
           "block = Down if (i > 0 or downsample_first) else TwoConv", "block = Down if i > 0 else TwoConv",
           T_NETS, "G"),
    Mutant("cdnn: bias argument ignored", "ignored argument", CD,
           "layers.append(_same_size_conv(spatial_dims, c_in, c_out, size, act, norm, bias))",
           "layers.append(_same_size_conv(spatial_dims, c_in, c_out, size, act, norm, True))", T_CD, "G"),
    Mutant("cdnn: dropout 1.0 accepted", "comparison flip", CD,
           "if not 0.0 <= dropout < 1.0:", "if not 0.0 <= dropout <= 1.0:", T_CD, "G"),
    Mutant("refinenet: seed maps max-pooled, not averaged", "wrong operator", RN,
           "        self.pool = Pool[Pool.AVG, spatial_dims](kernel_size=2)\n        guide",
           "        self.pool = Pool[Pool.MAX, spatial_dims](kernel_size=2)\n        guide", T_RN, "G"),
    Mutant("networks: features one level short accepted", "off-by-one", NU,
           "if len(features) < levels + 1:", "if len(features) < levels:", T_IU + T_RN + T_QU, "G"),
    Mutant("FOV mask: threshold argument ignored (30 always)", "ignored argument", RA,
           "return largest_filled_region(arr > self.threshold, img)", "return largest_filled_region(arr > 30.0, img)",
           T_RET, "G"),
    Mutant("FOV mask: NaN/Inf check skipped", "skipped check", RA,
           '        check_finite("img", arr)\n        return largest_filled_region',
           "        return largest_filled_region", T_RET, "G"),
    Mutant("lesion mask: grey level from the red channel, not the channel mean", "dropped term", TL,
           "grey = arr.mean(axis=0)", "grey = arr[0]", T_TL, "G"),
    Mutant("colour: upper value check against 255, not max_value", "ignored argument", IA,
           "if rgb.min() < 0 or rgb.max() > self.max_value:", "if rgb.min() < 0 or rgb.max() > 255:", T_INT, "G"),
    Mutant("colour: the already-[0, 1] guard fires with max_value=1 too", "dropped term", IA,
           "if self.max_value > 1 and 0 < rgb.max() <= 1 and", "if 0 < rgb.max() <= 1 and", T_INT, "G"),
    Mutant("percentile contrast: randomize=False draws anew", "ignored argument", IA,
           "        if randomize:\n            self.randomize(img.shape[0])",
           "        if True:\n            self.randomize(img.shape[0])", T_INT, "G"),
    Mutant("percentile contrast dict: seed not handed to the array transform", "dropped term", ID,
           "        self.stretch.set_random_state(state=self.R)\n", "", T_INT, "G"),
    Mutant("percentile contrast dict: every key its own draw", "ignored argument", ID,
           "d[key] = self.stretch(d[key], randomize=False)", "d[key] = self.stretch(d[key])", T_INT, "G"),
    Mutant("dual threshold: 'largest' ignores connectivity", "ignored argument", PA,
           "mask = KeepLargestConnectedComponent(connectivity=self.connectivity)(mask.astype(np.uint8))",
           "mask = KeepLargestConnectedComponent()(mask.astype(np.uint8))", T_POST, "G"),
    Mutant("dual threshold: hole filling ignores connectivity", "ignored argument", PA,
           "self.fill_holes = FillHoles(connectivity=connectivity) if fill_holes else None",
           "self.fill_holes = FillHoles() if fill_holes else None", T_POST, "G"),
    Mutant("dual threshold: an empty mask goes to the selection", "skipped check", PA,
           'if not mask.any() or self.select == "all":', 'if self.select == "all":', T_POST, "G"),
    Mutant("loss helpers: smooth_dr takes smooth_nr", "swapped argument", LU,
           '"smooth_dr": smooth_dr,', '"smooth_dr": smooth_nr,', T_QL + T_DI, "G"),
    Mutant("dice improvement: denominator smoothed with smooth_nr", "swapped term", DI,
           "target_sum + prediction_sum + self.smooth_dr)", "target_sum + prediction_sum + self.smooth_nr)", T_DI,
           "G"),
    Mutant("deep supervision: negative weights accepted", "skipped check", DS,
           "if weights is not None and (len(weights) != len(keys) or min(weights) < 0):",
           "if weights is not None and len(weights) != len(keys):", T_DS, "G"),
    Mutant("dice coefficient: only the number of dims checked (broadcasting shapes pass)", "weakened check", MO,
           "    if a.shape != b.shape:\n", "    if a.ndim != b.ndim:\n", T_MET, "G"),
    Mutant("overlap scores: PPV of an empty prediction is 1 whatever the label", "wrong term", MO,
           '"ppv": _ratio(overlap, n_pred, n_label == 0),', '"ppv": _ratio(overlap, n_pred, True),', T_MET, "G"),
    Mutant("readers: missing slices not listed in the metadata", "dropped term", IF,
           '        meta["missing_slices"] = series.missing_slices\n', "        pass\n", T_RD, "G"),
    Mutant("load mask: an empty mask accepted", "skipped check", IF,
           "if not foreground.any():", "if False:", T_RD, "G"),
    Mutant("dicom: series depth counts the files, not the grid with its gaps", "dropped term", DC,
           "return len(self.files) + sum(n for _, n in self.gaps)", "return len(self.files)", T_RD + T_CLI, "G"),
    Mutant("write_json: overwrite ignored (existing files replaced)", "ignored argument", WR,
           "path = check_output_path(path, inputs=inputs, overwrite=overwrite)",
           "path = check_output_path(path, inputs=inputs, overwrite=True)", T_WR, "G"),
    Mutant("2D folders: a bundle's own <stem>_seg.png mask not found", "dropped term", F2,
           '("mask_dir", mask_dir, mask_key, ("{}.png", "{}_seg.png")),',
           '("mask_dir", mask_dir, mask_key, ("{}.png",)),', T_F2, "G"),
    Mutant("DRIVE split: validation stops at image 39", "off-by-one", F2,
           '"validation": tuple(range(35, 41))', '"validation": tuple(range(35, 40))', T_F2, "G"),
    Mutant("datalist: an image in both splits accepted", "skipped check", DA,
           "        if shared:\n", "        if False:\n", T_DL, "G"),
    Mutant("split datalist: a side may be left empty", "dropped term", DA,
           "n_val = min(max(round(val_fraction * len(datalist)), 1), len(datalist) - 1)",
           "n_val = round(val_fraction * len(datalist))", T_DL, "G"),
    Mutant("IRCAD: image and mask geometry not compared", "skipped check", IR,
           '    check_same_geometry(image, mask, names=("image", f"{organ} mask"))\n', "", T_IR, "G"),
    Mutant("presets: random walker without its erosion", "dropped term", PR,
           '{"margin_mm": 3.0, "erosion_mm": 2.0, **_STOPS}', '{"margin_mm": 3.0, **_STOPS}', T_SP + T_CLI, "G"),
    Mutant("network output: quality read from the segmentation key", "swapped term", NO,
           "None if quality_key is None else output[quality_key]",
           "None if quality_key is None else output[output_key]", T_NS + T_IT, "G"),
    Mutant("slice samples: unstroked lobe drawn with probability 1 - p", "comparison flip", SS,
           "elif self.unstroked_lobe_prob and self.R.rand() < self.unstroked_lobe_prob:",
           "elif self.unstroked_lobe_prob and self.R.rand() > self.unstroked_lobe_prob:", T_SS, "G"),
    Mutant("slice samples: seeds not remade from the unstroked lobe's prior", "dropped term", SS,
           "            seeds = None if seeds is None else self._seeds(prior, spacing)\n", "", T_SS, "G"),
    Mutant("slice samples: a draw for the unstroked lobe even when it is off", "dropped term", SS,
           "elif self.unstroked_lobe_prob and self.R.rand() < self.unstroked_lobe_prob:",
           "elif self.R.rand() < self.unstroked_lobe_prob:", T_SS, "G"),
    Mutant("slice samples: unstroked_lobe_prob not checked", "skipped check", SS,
           'self.unstroked_lobe_prob = check_probability("unstroked_lobe_prob", unstroked_lobe_prob)',
           "self.unstroked_lobe_prob = float(unstroked_lobe_prob)", T_SS, "G"),
    Mutant("slice samples: corrected samples may get an unstroked lobe too (if, not elif)", "wrong branch", SS,
           "        elif self.unstroked_lobe_prob and", "        if self.unstroked_lobe_prob and", T_SS, "G"),
    Mutant("lobe error: leak grown in pixels, not mm", "spacing ignored", SS,
           "grown = ndimage.distance_transform_edt(~prior[0], sampling=spacing) <= self.R.uniform(5.0, 15.0)",
           "grown = ndimage.distance_transform_edt(~prior[0]) <= self.R.uniform(5.0, 15.0)", T_SS, "G"),
    # --- group H: an eighth independent set, written from the source alone (no test read first), over the code
    # added last: DiceImprovementLoss(lambda_ce) (its cross-entropy term, the log-softmax path, the background
    # slicing of the logits, the batch axes, its checks), seed_from_numpy and its use in SelfRefinementIteration and
    # SeedInteraction, and the bundle settings the CLI's --method network hands to SlicePropagator
    Mutant("dice improvement CE: softmax cross-entropy from the raw logits, not the log-probabilities", "dropped term",
           DI, "logits, input = torch.log_softmax(input, 1), torch.softmax(input, 1)",
           "input = torch.softmax(input, 1)", T_DI, "H"),
    Mutant("dice improvement CE: log-softmax over the last spatial axis", "wrong axis", DI,
           "logits, input = torch.log_softmax(input, 1), torch.softmax(input, 1)",
           "logits, input = torch.log_softmax(input, -1), torch.softmax(input, 1)", T_DI, "H"),
    Mutant("dice improvement CE: logits keep the background channel", "dropped term", DI,
           "input, target, previous, logits = input[:, 1:], target[:, 1:], previous[:, 1:], logits[:, 1:]",
           "input, target, previous, logits = input[:, 1:], target[:, 1:], previous[:, 1:], logits", T_DI, "H"),
    Mutant("dice improvement CE: batch=True ignored (per-sample cross-entropy)", "wrong axis", DI,
           "return voxel.mean([0] + axes if self.batch else axes, keepdim=True)",
           "return voxel.mean(axes, keepdim=True)", T_DI, "H"),
    Mutant("dice improvement CE: averaged over the channels too", "off-by-one", DI,
           "axes = list(range(2, voxel.ndim))", "axes = list(range(1, voxel.ndim))", T_DI, "H"),
    Mutant("dice improvement CE: lambda_ce weight dropped (term added with weight 1)", "dropped term", DI,
           "loss = loss + self.lambda_ce * self._cross_entropy(logits, target)",
           "loss = loss + self._cross_entropy(logits, target)", T_DI, "H"),
    Mutant("dice improvement CE: computed from the probabilities, not the logits", "swapped argument", DI,
           "loss = loss + self.lambda_ce * self._cross_entropy(logits, target)",
           "loss = loss + self.lambda_ce * self._cross_entropy(input, target)", T_DI, "H"),
    Mutant("dice improvement CE: BCE input and target swapped", "swapped argument", DI,
           "binary_cross_entropy_with_logits(logits, target, reduction=\"none\")",
           "binary_cross_entropy_with_logits(target, logits, reduction=\"none\")", T_DI, "H"),
    Mutant("dice improvement CE: an infinite lambda_ce accepted", "weakened check", DI,
           "if not (np.isfinite(lambda_ce) and lambda_ce >= 0):", "if not lambda_ce >= 0:", T_DI, "H"),
    Mutant("dice improvement CE: single-channel softmax with lambda_ce accepted", "skipped check", DI,
           "if self.lambda_ce > 0 and self.softmax and channels == 1:", "if False:", T_DI, "H"),
    Mutant("seed_from_numpy: drawn from a fresh OS-seeded generator, not the global one", "dropped seed", RND,
           "return int(np.random.randint(MAX_SEED))", "return int(np.random.RandomState().randint(MAX_SEED))",
           T_ER + T_EI, "H"),
    Mutant("self-refinement: a fixed seed, whatever the global seed", "dropped seed", ER,
           "        self.steps = 1\n        self.set_random_state(seed=seed_from_numpy())",
           "        self.steps = 1\n        self.set_random_state(seed=0)", T_ER, "H"),
    Mutant("seed interaction: the seeder not tied to the seeded state (base class's set_random_state)",
           "dropped seed", EI, "        self.set_random_state(seed=seed_from_numpy())",
           "        super().set_random_state(seed=seed_from_numpy())", T_EI, "H"),
    Mutant("CLI network method: the bundle's prior_stroke_mm not passed to the propagator", "dropped term", CLI,
           '_CLI_PROPAGATOR_SETTINGS = ("window", "progress", "slice_axis", "workers")',
           '_CLI_PROPAGATOR_SETTINGS = ("window", "progress", "slice_axis", "workers", "prior_stroke_mm")',
           T_CLI + T_LB, "H"),
    Mutant("CLI network method: --bundle ignored (the default bundle always)", "ignored argument", CLI,
           "load_propagation_bundle(bundle or DEFAULT_BUNDLE, overrides=",
           "load_propagation_bundle(DEFAULT_BUNDLE, overrides=", T_CLI + T_LB, "H"),
    Mutant("CLI network method: --device not handed to the bundle", "ignored argument", CLI,
           'overrides={"device": device})', "overrides={})", T_CLI + T_LB, "H"),
    # --- group I: a ninth independent set, written from the source alone (no test read first), weighted to the code
    # the earlier sets touched least and the newest code: write_nifti's one-channel path (_write_single_channel), the
    # DICOM scan's checks, DICOM SEG, the 2D folders' writer and HRF list, the slice samples' lobe error and self-fed
    # prior side, the engines' iteration updates, the CLI's and check_outputs' path checks, the colour transforms
    Mutant("write_nifti one-channel: output_dtype ignored (the tensor's dtype stored)", "ignored argument", WR,
           "        array = array.astype(output_dtype)\n", "        array = array\n", T_WR, "I"),
    Mutant("write_nifti int64: the int32 upper bound not checked (large values wrap)", "dropped term", WR,
           "(array.min() < info.min or array.max() > info.max)", "(array.min() < info.min)", T_WR, "I"),
    Mutant("write_nifti int64: stored as int64, not narrowed to int32", "dropped term", WR,
           "        array = array.astype(np.int32)\n", "", T_WR, "I"),
    Mutant("write_nifti one-channel: 2D images handed to NibabelWriter (which fails on them)", "dropped term", WR,
           "if data.shape[0] != 1 or data.ndim not in (3, 4):", "if data.shape[0] != 1 or data.ndim != 4:", T_WR,
           "I"),
    Mutant("write_nifti one-channel: a 2D 3x3 affine not lifted to 4x4", "dropped term", WR,
           "matrix = to_affine_nd(r=3, affine=affine.detach().cpu().numpy().astype(np.float64))",
           "matrix = affine.detach().cpu().numpy().astype(np.float64)", T_WR, "I"),
    Mutant("dicom: a single missing slice not counted as a gap", "off-by-one", DC,
           "for k in range(len(steps)) if whole[k] > 1]", "for k in range(len(steps)) if whole[k] > 2]",
           T_RD + T_CLI, "I"),
    Mutant("dicom: duplicated slices not refused", "skipped check", DC,
           "    if duplicates:\n", "    if False:\n", T_RD + T_CLI, "I"),
    Mutant("dicom: allow_gaps ignored (a gap always accepted)", "ignored argument", DC,
           "if series.gaps and not allow_gaps:", "if False:", T_RD + T_CLI, "I"),
    Mutant("dicom: truncated files not checked during the scan", "skipped check", DC,
           "            _check_pixel_length(entry.path, header)\n", "", T_RD + T_CLI, "I"),
    Mutant("DICOM SEG: label argument ignored (every segment labelled liver)", "ignored argument", DSG,
           "segment_label=label,", 'segment_label="liver",', T_CLI + T_WR, "I"),
    Mutant("DICOM SEG: frame of reference random per run, not derived from the series UID", "dropped term", DSG,
           "pydicom.uid.generate_uid(entropy_srcs=[str(sources[0].SeriesInstanceUID)])",
           "pydicom.uid.generate_uid()", T_CLI + T_WR, "I"),
    Mutant("SaveMask2D: threshold argument ignored (0.5 always)", "ignored argument", F2,
           "mask = (prob[0] >= self.threshold)", "mask = (prob[0] >= 0.5)", T_F2, "I"),
    Mutant("SaveMask2D: map resized to (width, height)", "swapped axes", F2,
           'size=size, mode="bilinear"', 'size=size[::-1], mode="bilinear"', T_F2, "I"),
    Mutant("HRF: an image without its FOV mask accepted", "dropped term", F2,
           "if not label.is_file() or not fov.is_file():", "if not label.is_file():", T_F2, "I"),
    Mutant("lobe error: a lost lobe keeps only the part beyond the line", "sign flip", SS,
           "return prior & ~beyond[None]", "return prior & beyond[None]", T_SS, "I"),
    Mutant("lobe error: 60-90 % of the prior beyond the line, not 10-40 %", "off-by-one", SS,
           "[prior[0]], 1 - fraction)", "[prior[0]], fraction)", T_SS, "I"),
    Mutant("slice samples: self-fed prior made on the side away from the neighbour", "sign flip", SS,
           "1 if z > neighbour else -1", "1 if z < neighbour else -1", T_SS, "I"),
    Mutant("self-refinement: steps drawn once, not per iteration", "dropped term", ER,
           "        self.randomize()\n        self.feed_back(", "        self.feed_back(", T_ER, "I"),
    Mutant("self-refinement feed-back: prior concatenated before the image", "swapped channel", ER,
           "network(torch.cat([image, prior], dim=1)), self.output_key)",
           "network(torch.cat([prior, image], dim=1)), self.output_key)", T_ER, "I"),
    Mutant("batch inputs loss: a plain-tensor target accepted although input_keys are set", "skipped check", ER,
           "            if self.input_keys:\n", "            if False:\n", T_ER, "I"),
    Mutant("interaction: prediction with the network in training mode", "dropped term", EI,
           "        engine.network.eval()\n", "", T_EI, "I"),
    Mutant("cli: --slice equal to the slice count accepted", "off-by-one", CLI,
           "if index >= size[axis]:", "if index > size[axis]:", T_CLI, "I"),
    Mutant("cli: the annotation not an input (an output may replace it)", "dropped term", CLI,
           '            plan.inputs["annotation"] = annotation\n', "", T_CLI, "I"),
    Mutant("paths: an output inside an input folder accepted", "skipped check", PT,
           "if os.path.isdir(in_real) and _inside(real, in_real):", "if False:", T_PT, "I"),
    Mutant("percentile: the 100th percentile reads past the end", "off-by-one", IA,
           "above = (below + 1).clamp(max=ordered.shape[1] - 1)", "above = below + 1", T_INT, "I"),
    Mutant("colour dict: max_value not passed on", "ignored argument", ID,
           "ColorSpaceChannels(spaces=spaces, max_value=max_value)", "ColorSpaceChannels(spaces=spaces)", T_INT,
           "I"),
    # --- group J: a tenth independent set, written from the source alone (no test read first), weighted to the code
    # changed last (write_nifti's one-channel path and int64 narrowing, check_positive_int and its users
    # IterativeRefinementInferer(max_steps) / SeedInteraction(max_interactions), DualThreshold's connectivity in every
    # step) and to the modules the earlier sets touched least (utils/checks.py, data/ircad.py, inferers/presets.py,
    # utils/network_output.py, the mask perturbation's dictionary form, DICOM SEG, the FOV mask)
    Mutant("write_nifti int64: an empty array's min/max taken (ValueError on a zero-size array)", "dropped term", WR,
           "if array.size and (array.min() < info.min", "if (array.min() < info.min", T_WR, "J"),
    Mutant("write_nifti one-channel: the qform not set (only the sform holds the affine)", "dropped term", WR,
           "    nifti.set_qform(matrix, code=1)\n", "", T_WR, "J"),
    Mutant("write_nifti: several channels taken for one (only channel 0 written)", "comparison flip", WR,
           "if data.shape[0] != 1 or data.ndim", "if data.shape[0] < 1 or data.ndim", T_WR, "J"),
    Mutant("write_nifti one-channel: the channel axis kept as the first NIfTI axis", "wrong axis", WR,
           "    array = data.numpy()[0]\n", "    array = data.numpy()\n", T_WR, "J"),
    Mutant("write_nifti: bool stored as int64 (narrowed to int32), not uint8", "wrong default", WR,
           "data = data.to(torch.uint8)", "data = data.to(torch.int64)", T_WR, "J"),
    Mutant("write_nifti several channels: output_dtype not handed to NibabelWriter", "ignored argument", WR,
           "writer = NibabelWriter(output_dtype=output_dtype)", "writer = NibabelWriter()", T_WR, "J"),
    Mutant("check_output_path: an existing folder not refused as such", "skipped check", WR,
           "    if path.is_dir():\n", "    if False:\n", T_WR, "J"),
    Mutant("write_nifti: a .nii path refused (only .nii.gz accepted)", "dropped term", WR,
           "if not str(path).endswith(NIFTI_EXTENSIONS):", 'if not str(path).endswith(".nii.gz"):', T_WR, "J"),
    Mutant("check_positive_int: 0 accepted", "off-by-one", UC,
           "np.integer)) or value < 1:", "np.integer)) or value < 0:", T_IT + T_EI, "J"),
    Mutant("check_positive_int: True accepted as 1", "dropped term", UC,
           "if isinstance(value, bool) or not isinstance(value, (int, np.integer))",
           "if not isinstance(value, (int, np.integer))", T_IT + T_EI, "J"),
    Mutant("check_positive_int: NumPy integers refused", "dropped term", UC,
           "not isinstance(value, (int, np.integer)) or value < 1", "not isinstance(value, int) or value < 1",
           T_IT + T_EI, "J"),
    Mutant("check_range: infinite bounds accepted", "dropped term", UC,
           "if len(pair) != 2 or not np.isfinite(pair).all() or", "if len(pair) != 2 or", T_PERT + T_INT, "J"),
    Mutant("as_numpy: a tensor that requires grad not detached", "dropped term", UC,
           "        data = data.detach()\n", "", T_SEEDS + T_PERT + T_POST, "J"),
    Mutant("as_binary_mask: channels=None not honoured (None compared to the channel count)", "dropped term", UC,
           "if channels is not None and array.shape[0] != channels:", "if array.shape[0] != channels:",
           T_SEEDS + T_PERT + T_MET, "J"),
    Mutant("iterative: max_steps not checked (0 accepted)", "skipped check", IT,
           'self.max_steps = check_positive_int("max_steps", max_steps)', "self.max_steps = int(max_steps)", T_IT,
           "J"),
    Mutant("iterative: NaN tolerance accepted", "comparison flip", IT,
           "if not tolerance >= 0:", "if tolerance < 0:", T_IT, "J"),
    Mutant("iterative: the caller's prior tensor overwritten in place", "dropped term", IT,
           "prior = torch.as_tensor(prior).to(inputs.dtype).clone()", "prior = torch.as_tensor(prior).to(inputs.dtype)",
           T_IT, "J"),
    Mutant("iterative: return_probability uses sigmoid for two-channel logits", "dropped term", IT,
           "out = torch.sigmoid(out) if out.shape[1] == 1 else torch.softmax(out, dim=1)", "out = torch.sigmoid(out)",
           T_IT, "J"),
    Mutant("iterative: a prior above 1 accepted", "dropped term", IT,
           "prior.min() < 0 or prior.max() > 1:", "prior.min() < 0:", T_IT, "J"),
    Mutant("seed interaction: max_interactions not checked (0 accepted)", "skipped check", EI,
           'self.max_interactions = check_positive_int("max_interactions", max_interactions)',
           "self.max_interactions = int(max_interactions)", T_EI, "J"),
    Mutant("seed interaction: a two-channel image accepted (the seed maps overwrite the image)", "off-by-one", EI,
           "image.shape[1] < 3:", "image.shape[1] < 2:", T_EI, "J"),
    Mutant("seed interaction: the target thresholded at >= 0 (everything foreground)", "comparison flip", EI,
           "target = label.detach().to(prediction.device) > 0", "target = label.detach().to(prediction.device) >= 0",
           T_EI, "J"),
    Mutant("dual threshold: connectivity equal to the spatial dims refused", "off-by-one", PA,
           "self.connectivity > dims:", "self.connectivity >= dims:", T_POST, "J"),
    Mutant("dual threshold: connectivity 3 refused", "dropped term", PA,
           "connectivity not in (1, 2, 3)):", "connectivity not in (1, 2)):", T_POST, "J"),
    Mutant("dual threshold: probabilities above 1 accepted", "dropped term", PA,
           "if prob.min() < 0 or prob.max() > 1:", "if prob.min() < 0:", T_POST, "J"),
    Mutant("dual threshold centroid: the kept component labelled with faces-only connectivity", "ignored argument",
           PA, "labels, _ = ndimage.label(mask, structure=structure)", "labels, _ = ndimage.label(mask)", T_POST, "J"),
    Mutant("dual threshold center: the components labelled with faces-only connectivity", "ignored argument", PA,
           "labels, count = ndimage.label(mask, structure=structure)", "labels, count = ndimage.label(mask)", T_POST,
           "J"),
    Mutant("dual threshold centroid: the seed regions labelled with faces-only connectivity", "ignored argument", PA,
           "seeds, count = ndimage.label(high, structure=structure)", "seeds, count = ndimage.label(high)", T_POST,
           "J"),
    Mutant("dual threshold: low above high accepted", "dropped term", PA,
           "0.0 <= low <= high <= 1.0):", "0.0 <= low <= 1.0 and 0.0 <= high <= 1.0):", T_POST, "J"),
    Mutant("IRCAD: an unknown organ not refused (a missing mask folder returned)", "skipped check", IR,
           "    if organ not in organs:\n", "    if False:\n", T_IR, "J"),
    Mutant("IRCAD: allow_gaps not passed to the mask", "ignored argument", IR,
           "mask = load_mask(mask_dir, allow_gaps=allow_gaps)", "mask = load_mask(mask_dir)", T_IR, "J"),
    Mutant("IRCAD: files in MASKS_DICOM listed as organs", "dropped term", IR,
           "for p in masks_dir.iterdir() if p.is_dir())", "for p in masks_dir.iterdir())", T_IR, "J"),
    Mutant("presets: copy-previous without its margin", "dropped term", PR,
           'return CopyPrevious(), {"margin_mm": 3.0, **_STOPS}', "return CopyPrevious(), {**_STOPS}", T_SP + T_CLI,
           "J"),
    Mutant("network output: quality_key silently ignored for a tensor output", "skipped check", NO,
           "        if quality_key is not None:\n", "        if False:\n", T_NS + T_IT, "J"),
    Mutant("network output: a dict without output_key fails with KeyError, not the message", "skipped check", NO,
           "    if output_key is None:\n", "    if False:\n", T_NS + T_IT, "J"),
    Mutant("mask perturb dict: dice_range not passed on", "ignored argument", PP,
           "            dice_range=dice_range,\n", "            dice_range=None,\n", T_PERT, "J"),
    Mutant("mask perturb dict: the array transform not tied to the seeded state", "dropped seed", PP,
           "        self.perturb.set_random_state(state=self.R)\n", "", T_PERT, "J"),
    Mutant("mask perturb dict: quality stored as a numpy array for a tensor mask", "wrong type", PP,
           "output_type = torch.Tensor if isinstance(d[key], torch.Tensor) else np.ndarray",
           "output_type = np.ndarray", T_PERT, "J"),
    Mutant("DICOM SEG: a label 'Liver' gets the generic organ code", "dropped term", DSG,
           'if label.lower() == "liver"', 'if label == "liver"', T_CLI + T_WR, "J"),
    Mutant("DICOM SEG: the expected shape takes rows for columns", "swapped axes", DSG,
           "(1, int(sources[0].Columns), int(sources[0].Rows), len(sources))",
           "(1, int(sources[0].Rows), int(sources[0].Columns), len(sources))", T_CLI + T_WR, "J"),
    Mutant("FOV mask: the channel equal to the channel count accepted", "off-by-one", RA,
           "img.shape[0] <= self.channel:", "img.shape[0] < self.channel:", T_RET, "J"),
    # --- group K: an eleventh independent set, written from the source alone (no test read first), spread evenly
    # over the core folders issue 16 names, in proportion to their source lines (transforms 15, inferers 13,
    # losses 4, metrics 1, networks 7), every module sampled in order and weighted to nothing
    # transforms/seeds
    Mutant("discrepancy seeds: ranks sorted by the random key first, not by component", "swapped term", SA,
           "order = np.lexsort((keys, component))", "order = np.lexsort((component, keys))", T_SEEDS, "K"),
    Mutant("mask seeds: ring radius compared in mm against squared mm", "mm vs squared mm", SA,
           "black_border=False) <= margin**2", "black_border=False) <= margin", T_SEEDS, "K"),
    Mutant("mask seeds: the eroded core replaces the skeleton instead of joining it", "dropped term", SA,
           "foreground |= edt.edtsq(crop", "foreground = edt.edtsq(crop", T_SEEDS, "K"),
    Mutant("seed map (kernel path): the map read from the padded canvas's corner, not its centre", "off-by-one", SA,
           "canvas[tuple(slice(r, r + n) for r, n in zip(radius, seed.shape))]",
           "canvas[tuple(slice(0, n) for r, n in zip(radius, seed.shape))]", T_SEEDS, "K"),
    Mutant("discrepancy seeds dict: per_slice not passed on", "ignored argument", SD,
           "            per_slice=per_slice,\n", "            per_slice=False,\n", T_SEEDS, "K"),
    # transforms/perturbation
    Mutant("mask perturb: spacing ignored inside the mask (erosion in voxels)", "spacing ignored", PE,
           "            crop, sampling=spacing\n", "            crop\n", T_PERT, "K"),
    Mutant("mask perturb: 2D elastic takes the 3D magnitudes", "wrong index", PE,
           "magnitude_range=magnitudes[2]", "magnitude_range=magnitudes[3]", T_PERT, "K"),
    Mutant("mask perturb dict: spacing not passed on", "ignored argument", PP,
           "            spacing=spacing,\n", "            spacing=None,\n", T_PERT, "K"),
    # transforms/intensity
    Mutant("colour: CIELAB L divided by 255, not 100", "wrong constant", IA,
           "/ np.array([100.0, 255.0, 255.0])", "/ np.array([255.0, 255.0, 255.0])", T_INT, "K"),
    Mutant("percentile contrast: stretch measured from the upper percentile", "swapped term", IA,
           "((groups.double() - lo) * scale", "((groups.double() - hi) * scale", T_INT, "K"),
    Mutant("percentile: position rounded, not floored (negative interpolation fraction)", "off-by-one", IA,
           "below = position.floor().long()", "below = position.round().long()", T_INT, "K"),
    # transforms/post, retina, lesion
    Mutant("dual threshold: spacing argument ignored for 'center' (only the MetaTensor's pixdim)", "ignored argument",
           PA, "resolve_spacing(img, self.spacing, dims)", "resolve_spacing(img, None, dims)", T_POST, "K"),
    Mutant("dual threshold center: nearest component by its mean distance, not its closest voxel",
           "wrong reduction", PA, "np.argmin(ndimage.minimum(distance, labels,",
           "np.argmin(ndimage.mean(distance, labels,", T_POST, "K"),
    Mutant("FOV mask dict: threshold not passed on", "ignored argument", RA,
           "FieldOfViewMask(channel, threshold)", "FieldOfViewMask(channel)", T_RET, "K"),
    Mutant("lesion mask: a tensor image gets a numpy mask", "wrong type", TL,
           "return largest_filled_region(mask, img)", "return largest_filled_region(mask, arr)", T_TL, "K"),
    # inferers/slice_propagation.py
    Mutant("propagation: erosion_mm not passed to the seeder", "ignored argument", SP,
           "MaskSeeds(margin_mm=settings.margin_mm, erosion_mm=settings.erosion_mm, spacing=spacing)",
           "MaskSeeds(margin_mm=settings.margin_mm, spacing=spacing)", T_SP, "K"),
    Mutant("propagation: the segmenter given the neighbour's image slice", "wrong index", SP,
           "self.segmenter(self.image[index][box][None]", "self.segmenter(self.image[index - direction][box][None]",
           T_SP, "K"),
    Mutant("propagation: the midpoint between two annotated slices claimed by neither", "off-by-one", SP,
           "(start + slices[position + 1]) // 2", "(start + slices[position + 1]) // 2 - 1", T_SP, "K"),
    Mutant("rejected by clicks: click depth in pixels, not mm", "spacing ignored", SP,
           "depth = ndimage.distance_transform_edt(prior, sampling=spacing)",
           "depth = ndimage.distance_transform_edt(prior)", T_SP, "K"),
    Mutant("annotate slices: slice axis without the channel offset", "off-by-one", SP,
           "resolve_slice_axis(mask, slice_axis) + 1", "resolve_slice_axis(mask, slice_axis)", T_SP, "K"),
    Mutant("propagation: the caller's slices neither sorted nor deduplicated", "dropped term", SP,
           "sorted({int(s) for s in slices})", "[int(s) for s in slices]", T_SP, "K"),
    # inferers/iterative.py, network_segmenter.py, segmenters.py, slice_grid.py
    Mutant("iterative: initial_prior ignored (0.5 always)", "ignored argument", IT,
           "torch.full(expected, self.initial_prior,", "torch.full(expected, 0.5,", T_IT, "K"),
    Mutant("iterative: a MetaTensor input gets a plain tensor back", "dropped term", IT,
           "        if isinstance(source, MetaTensor):\n            out = convert_to_dst_type(out, source)[0]\n", "",
           T_IT, "K"),
    Mutant("network segmenter: sigma not handed to the grid's network input", "ignored argument", NS,
           "network_input(self.grid, image, prior, seeds, spacing, self.channels, self.sigma)",
           "network_input(self.grid, image, prior, seeds, spacing, self.channels)", T_NS, "K"),
    Mutant("graph cut: seed histogram normalised by the image size, not the seed count", "wrong term", SG,
           "range=(0.0, 1.0))[0] / samples.size", "range=(0.0, 1.0))[0] / values.size", T_SG, "K"),
    Mutant("random walker: beta ignored (130 always)", "ignored argument", SG,
           "beta=self.beta, mode=", "beta=130.0, mode=", T_SG, "K"),
    Mutant("slice grid: back-resampling multiplies the rows by the step", "mm vs voxel", SGR,
           "(np.arange(low[0], high[0]) - frame.centre[0]) / frame.step[0]",
           "(np.arange(low[0], high[0]) - frame.centre[0]) * frame.step[0]", T_SGR + T_NS, "K"),
    Mutant("slice grid: grid points in xy indexing (the crop transposed)", "wrong axis", SGR,
           'return np.stack(np.meshgrid(rows, cols, indexing="ij"))', "return np.stack(np.meshgrid(rows, cols))",
           T_SGR + T_NS, "K"),
    # losses
    Mutant("dice improvement: include_background ignored", "ignored argument", DI,
           "        if not self.include_background:\n", "        if False:\n", T_DI, "K"),
    Mutant("quality loss: sigmoid and softmax swapped for the Dice pair", "swapped argument", QL,
           "include_background, to_onehot_y, sigmoid, softmax, smooth_nr, smooth_dr",
           "include_background, to_onehot_y, softmax, sigmoid, smooth_nr, smooth_dr", T_QL, "K"),
    Mutant("deep supervision: the 1/4x side output left out of the default keys", "wrong default", DS,
           "            RefineOutputs.SIDE_4,\n", "", T_DS, "K"),
    Mutant("output quality: Dice 1 whenever nothing overlaps (keyed on the overlap, not the total)", "wrong term",
           OQ, "torch.where(total > 0,", "torch.where(overlap > 0,", T_OQ, "K"),
    # metrics
    Mutant("overlap scores: overlap counted as the union", "wrong operator", MO,
           "int(np.logical_and(p, g).sum())", "int(np.logical_or(p, g).sum())", T_MET, "K"),
    # networks
    Mutant("unet decoder: the last stage halves the channels too", "off-by-one", UB,
           "halves = i < len(features) - 1", "halves = i < len(features)", T_NETS, "K"),
    Mutant("networks: in_channels equal to the extra channels accepted (no image channel)", "off-by-one", NU,
           "if in_channels <= extra_channels:", "if in_channels < extra_channels:", T_IU + T_RN + T_QU, "K"),
    Mutant("cdnn: average pooling, not max pooling", "wrong operator", CD,
           "Pool[Pool.MAX, spatial_dims](kernel_size=size)", "Pool[Pool.AVG, spatial_dims](kernel_size=size)", T_CD,
           "K"),
    Mutant("iterative unet: dropout not passed to the layer-1 and copy convolutions", "ignored argument", IU,
           "act=act, norm=norm, dropout=dropout, bias=bias)", "act=act, norm=norm, bias=bias)", T_IU, "K"),
    Mutant("quality unet: quality head's activation ignored (ReLU always)", "ignored argument", QU,
           "            get_act_layer(act),\n", "            nn.ReLU(),\n", T_QU, "K"),
    Mutant("refinenet: the 1/2x refinement stage halves its upsampled channels", "wrong default", RN,
           "rf, guide, rf, act, norm, bias, dropout, upsample, halves=False)",
           "rf, guide, rf, act, norm, bias, dropout, upsample, halves=True)", T_RN, "K"),
    Mutant("refinenet: quality head without its nonlinearity (two stacked linear layers)", "dropped term", RN,
           "nn.Linear(2 * rf, rf), get_act_layer(act), nn.Linear(rf, 1)", "nn.Linear(2 * rf, rf), nn.Linear(rf, 1)",
           T_RN, "K"),
    # --- group L: a twelfth independent set, written from the source alone (no test read first), spread over the
    # core folders issue 16 names in proportion to their source lines (transforms 1933 -> 15, inferers 1582 -> 13,
    # losses 498 -> 4, metrics 85 -> 1, networks 877 -> 7), every module sampled in order and weighted to nothing;
    # written after the systematic argument and architecture tests landed, and committed before its first run
    # transforms/seeds
    Mutant("mask seeds: a margin equal to the spacing refused (>= instead of >)", "wrong comparison", SA,
           "spacing > margin_mm * (1 + _RTOL)", "spacing >= margin_mm", T_SEEDS, "L"),
    Mutant("seed map (kernel path): kernel radius in voxels multiplies the spacing instead of dividing by it",
           "mm vs voxel", SA, "np.minimum(cutoff / spacing, 2**62)", "np.minimum(cutoff * spacing, 2**62)", T_SEEDS,
           "L"),
    Mutant("extreme points: jittered points floored, not rounded (biased towards lower indices)", "wrong rounding", SA,
           "np.rint(points + jitter)", "np.floor(points + jitter)", T_SEEDS, "L"),
    Mutant("seed dict wrappers: the seeds overwrite the input key instead of going to seeds_key", "wrong key", SD,
           "d[seeds_key] = self.transform(d[key])\n", "d[key] = self.transform(d[key])\n", T_SEEDS, "L"),
    Mutant("discrepancy seeds dict: max_seeds_per_component not passed on", "ignored argument", SD,
           "            max_seeds_per_component=max_seeds_per_component,\n",
           "            max_seeds_per_component=None,\n", T_SEEDS, "L"),
    # transforms/perturbation
    Mutant("mask perturb: shifts drawn in one direction only (0..shift_range)", "wrong range", PE,
           "self.R.uniform(-self.shift_range, self.shift_range, dims)", "self.R.uniform(0.0, self.shift_range, dims)",
           T_PERT, "L"),
    Mutant("mask perturb: the elastic transform not seeded from the draw (no replay, not reproducible)",
           "dropped term", PE, 'elastic = self.elastic[mask.ndim].set_random_state(seed=params["elastic"])',
           "elastic = self.elastic[mask.ndim]", T_PERT, "L"),
    Mutant("mask perturb dict: the quality stored as float64, not float32", "wrong dtype", PP,
           'np.array([info["dice"]], dtype=np.float32)', 'np.array([info["dice"]], dtype=np.float64)', T_PERT, "L"),
    # transforms/intensity
    Mutant("percentile contrast: clip only from below (values above the upper percentile exceed b_max)",
           "missing clamp", IA, "stretched.clamp(self.b_min, self.b_max)", "stretched.clamp(min=self.b_min)", T_INT,
           "L"),
    Mutant("colour channels: output dtype not forced to float32 (a uint8 input gives uint8 channels)", "wrong dtype",
           IA, "np.moveaxis(out, -1, 0), img, dtype=torch.float32)", "np.moveaxis(out, -1, 0), img)", T_INT, "L"),
    Mutant("percentile contrast dict: drawn for the last axis's size, not the channel count", "wrong axis", ID,
           "self.randomize(d[first_key].shape[0])", "self.randomize(d[first_key].shape[-1])", T_INT, "L"),
    # transforms/post, retina, lesion
    Mutant("dual threshold: hysteresis dropped (every low-threshold component kept, seeded or not)", "dropped term",
           PA, "mask = np.isin(labels, seeded)[None]", "mask = (labels > 0)[None]", T_POST, "L"),
    Mutant("dual threshold centroid: the largest-mass region taken from the low mask, not the high seeds",
           "wrong argument", PA, "self._at_centroid(mask[0], prob[0], high, structure)",
           "self._at_centroid(mask[0], prob[0], mask[0], structure)", T_POST, "L"),
    Mutant("FOV mask: threshold truncated to an integer", "wrong type", RA,
           "self.threshold = float(threshold)", "self.threshold = int(threshold)", T_RET, "L"),
    Mutant("lesion mask dict: default mask_key 'mask', not 'prior'", "wrong default", TL,
           'mask_key: str = "prior"', 'mask_key: str = "mask"', T_TL, "L"),
    # inferers/slice_propagation.py
    Mutant("propagation: the local crop's reach is the smaller of margin and stroke, not the larger",
           "wrong reduction", SP, "reach_mm = max(settings.margin_mm, (settings.prior_stroke_mm or 0.0) / 2)",
           "reach_mm = min(settings.margin_mm, (settings.prior_stroke_mm or 0.0) / 2)", T_SP, "L"),
    Mutant("propagation: a slice gets the user seeds of its neighbour slice", "off-by-one", SP,
           "self.user[(slice(None), index, *box)]", "self.user[(slice(None), index - direction, *box)]", T_SP, "L"),
    Mutant("propagation: the last slice not recorded as the volume's end", "off-by-one", SP,
           "elif index in (0, len(result) - 1):", "elif index in (0, len(result)):", T_SP, "L"),
    Mutant("rejected by clicks: the disc's rim excluded (< instead of <=)", "wrong comparison", SP,
           "|= distance <= radius**2", "|= distance < radius**2", T_SP, "L"),
    Mutant("window intensity: no clipping to [0, 1]", "missing clamp", SP,
           "return np.clip(out, 0, 1, out=out)", "return out", T_SP, "L"),
    Mutant("slice result: components with 8-connectivity (diagonal blobs kept with the seeded one)",
           "wrong connectivity", SP, "components = ndimage.label(mask)[0]",
           "components = ndimage.label(mask, np.ones((3, 3)))[0]", T_SP, "L"),
    # inferers/segmenters.py, slice_grid.py, iterative.py, network_segmenter.py
    Mutant("graph cut: boundary weights from the pixel behind, not the neighbour the edge joins", "sign flip", SG,
           "np.roll(img, (-offset[0], -offset[1]), axis=(0, 1))", "np.roll(img, (offset[0], offset[1]), axis=(0, 1))",
           T_SG, "L"),
    Mutant("random walker: runs with seeds of one class only (or instead of and)", "wrong operator", SG,
           "if not seeds[0].any() or not seeds[1].any():", "if not seeds[0].any() and not seeds[1].any():", T_SG,
           "L"),
    Mutant("slice grid: the prior's bounding box with rows and columns swapped", "wrong axis", SGR,
           "rows, cols = np.flatnonzero(prior[0].any(1)), np.flatnonzero(prior[0].any(0))",
           "rows, cols = np.flatnonzero(prior[0].any(0)), np.flatnonzero(prior[0].any(1))", T_SGR + T_NS, "L"),
    Mutant("slice grid: sampling with align_corners=False (half-pixel shift and rescale)", "wrong flag", SGR,
           'padding_mode="zeros", align_corners=True)', 'padding_mode="zeros", align_corners=False)', T_SGR + T_NS,
           "L"),
    Mutant("iterative: the network gets the prior before the image", "swapped channel", IT,
           "torch.cat([inputs[index], prior[index]], dim=1)", "torch.cat([prior[index], inputs[index]], dim=1)", T_IT,
           "L"),
    Mutant("iterative: a converged sample returns the previous step's logits", "swapped term", IT,
           "result[i] = logits[j]", "result[i] = prior_logits[i]", T_IT, "L"),
    Mutant("network segmenter: the in-plane spacing handed on reversed", "swapped axis", NS,
           "self._inputs(image, prior, seeds, tuple(pair.tolist()))",
           "self._inputs(image, prior, seeds, tuple(pair.tolist()[::-1]))", T_NS, "L"),
    # losses
    Mutant("dice improvement: softmax cross-entropy sign flipped", "sign flip", DI,
           "voxel = -target * logits", "voxel = target * logits", T_DI, "L"),
    Mutant("quality loss: lambda_quality 0 refused (<= instead of <)", "wrong comparison", QL,
           "if not lambda_quality >= 0:", "if not lambda_quality > 0:", T_QL, "L"),
    Mutant("deep supervision: default weight_mode 'same', not 'exp'", "wrong default", DS,
           'weight_mode: str = "exp",', 'weight_mode: str = "same",', T_DS, "L"),
    Mutant("output quality: overlap averaged over voxels, not summed", "wrong reduction", OQ,
           "overlap, total = (pred * truth).sum(1),", "overlap, total = (pred * truth).mean(1),", T_OQ, "L"),
    # metrics
    Mutant("overlap scores: Dice without its factor 2", "dropped term", MO,
           '"dice": _ratio(2 * overlap, n_pred + n_label, True)', '"dice": _ratio(overlap, n_pred + n_label, True)',
           T_MET, "L"),
    # networks
    Mutant("unet features: dropout not passed to the encoder", "ignored argument", UB,
           "UNetEncoder(spatial_dims, in_channels, f[:-1], act, norm, bias, dropout)",
           "UNetEncoder(spatial_dims, in_channels, f[:-1], act, norm, bias)", T_NETS, "L"),
    Mutant("networks: check_positive accepts 0", "off-by-one", NU,
           "if value < 1:", "if value < 0:", T_NETS, "L"),
    Mutant("cdnn: bilinear upsampling, not nearest", "wrong layer kind", CD,
           '"interp_mode": "nearest"', '"interp_mode": "bilinear"', T_CD, "L"),
    Mutant("iterative unet: prior features before the image features at the copy convolution", "swapped channel", IU,
           "torch.cat([self.image_conv(image), prior_features], dim=1)",
           "torch.cat([prior_features, self.image_conv(image)], dim=1)", T_IU, "L"),
    Mutant("quality unet: upsample not passed to the backbone (deconv always)", "ignored argument", QU,
           "UNetFeatures(spatial_dims, in_channels, f, act, norm, bias, dropout, upsample)",
           "UNetFeatures(spatial_dims, in_channels, f, act, norm, bias, dropout)", T_QU, "L"),
    Mutant("refinenet: a custom backbone's side outputs max-pooled, not average-pooled", "wrong layer kind", RN,
           "        self.pool = Pool[Pool.AVG, spatial_dims](kernel_size=2)\n\n    def forward",
           "        self.pool = Pool[Pool.MAX, spatial_dims](kernel_size=2)\n\n    def forward", T_RN, "L"),
    Mutant("refinenet: the 1/4x guide has the seed maps before the side output", "swapped channel", RN,
           "torch.cat([side_4, seeds_4], dim=1)", "torch.cat([seeds_4, side_4], dim=1)", T_RN, "L"),
    # --- group M: a thirteenth independent set, written from the source alone (no test read first), spread over the
    # core folders issue 16 names in proportion to their source lines (transforms 1936 -> 15, inferers 1592 -> 13,
    # losses 498 -> 4, metrics 85 -> 1, networks 878 -> 7), every module sampled in order and weighted to nothing;
    # written after set L's class-level tests landed, and committed before its first run
    # transforms/seeds
    Mutant("discrepancy seeds: ranks within a component start at 1 (one seed too few per component)", "off-by-one",
           SA, "rank = np.arange(component.size) - np.searchsorted(component, component)",
           "rank = np.arange(1, component.size + 1) - np.searchsorted(component, component)", T_SEEDS + T_ARGS, "M"),
    Mutant("mask seeds: background seeds fill the whole margin band, not its outer ring", "wrong term", SA,
           "seeds[(SeedChannel.BACKGROUND, *box)] = ring", "seeds[(SeedChannel.BACKGROUND, *box)] = dilated & ~crop",
           T_SEEDS + T_ARGS, "M"),
    Mutant("seed map (EDT path): the image border counts as a seed (black_border=True)", "wrong flag", SA,
           "squared = edt.edtsq(~seed, anisotropy=tuple(spacing), black_border=False)",
           "squared = edt.edtsq(~seed, anisotropy=tuple(spacing), black_border=True)", T_SEEDS + T_ARGS, "M"),
    Mutant("discrepancy seeds dict: slice_axis not passed on", "ignored argument", SD,
           "            slice_axis=slice_axis,\n", "            slice_axis=-1,\n", T_SEEDS + T_DICT, "M"),
    Mutant("seed dict wrappers: randomize not delegated (every call replays the first draw)", "dropped term", SD,
           "        self.transform.randomize(data)\n", "        pass\n", T_SEEDS + T_DICT, "M"),
    # transforms/perturbation
    Mutant("mask perturb: noise band and flip fraction drawn from each other's ranges", "swapped argument", PE,
           "self.R.uniform(*self.noise_band_range), self.R.uniform(*self.noise_fraction_range)",
           "self.R.uniform(*self.noise_fraction_range), self.R.uniform(*self.noise_band_range)", T_PERT + T_ARGS,
           "M"),
    Mutant("mask perturb: one try fewer than max_tries", "off-by-one", PE,
           "for num_tries in range(1, self.max_tries + 1):", "for num_tries in range(1, self.max_tries):",
           T_PERT + T_ARGS, "M"),
    Mutant("mask perturb dict: elastic_prob not passed on", "ignored argument", PP,
           "            elastic_prob=elastic_prob,\n", "", T_PERT + T_DICT, "M"),
    # transforms/intensity
    Mutant("percentile: values sorted across rows (channels), not along each row", "wrong axis", IA,
           "ordered = values.double().sort(dim=1).values", "ordered = values.double().sort(dim=0).values",
           T_INT + T_ARGS, "M"),
    Mutant("colour channels: a single space name split into letters", "wrong type", IA,
           "spaces = (spaces,) if isinstance(spaces, str) else tuple(spaces)", "spaces = tuple(spaces)",
           T_INT + T_ARGS, "M"),
    Mutant("colour channels dict: default spaces with the full CIELAB (9 channels, not paper 003's 7)",
           "wrong default", ID, 'spaces: Sequence[str] = ("rgb", "hsv", "lab_l"),',
           'spaces: Sequence[str] = ("rgb", "hsv", "lab"),', T_INT + T_DICT, "M"),
    # transforms/post, retina, lesion
    Mutant("dual threshold: high and low thresholds stored swapped", "swapped term", PA,
           "self.high, self.low, self.select, self.connectivity, self.spacing = high, low,",
           "self.high, self.low, self.select, self.connectivity, self.spacing = low, high,", T_POST + T_ARGS, "M"),
    Mutant("dual threshold dict: default select 'largest', not 'centroid' (paper 003)", "wrong default", PD,
           'select: str = "centroid",', 'select: str = "largest",', T_POST + T_DICT, "M"),
    Mutant("FOV mask dict: the mask overwrites the image instead of going to fov_key", "wrong key", RA,
           "d[self.fov_key] = self.transform(d[key])", "d[key] = self.transform(d[key])", T_RET + T_DICT, "M"),
    Mutant("lesion mask dict: mask_key ignored (always 'prior')", "ignored argument", TL,
           "        self.mask_key = mask_key\n", '        self.mask_key = "prior"\n', T_TL + T_DICT, "M"),
    # inferers/slice_propagation.py
    Mutant("rejected by clicks: a click on the main component rejects all of it (the largest not set apart)",
           "dropped term", SP, "islands = np.setdiff1d(np.unique(components[clicks]), [largest])",
           "islands = np.unique(components[clicks])", T_SP + T_ARGS, "M"),
    Mutant("canonical slices: slice axis moved without the channel offset", "off-by-one", SP,
           "array = np.moveaxis(convert_to_numpy(volume), axis + 1, 1)",
           "array = np.moveaxis(convert_to_numpy(volume), axis, 1)", T_SP + T_ARGS, "M"),
    Mutant("propagation: fill_holes ignored (always filled)", "ignored argument", SP,
           "        self.fill_holes = fill_holes\n", "        self.fill_holes = True\n", T_SP + T_ARGS, "M"),
    Mutant("propagation: the prior read from the slice ahead, not the one behind", "sign flip", SP,
           "full_prior = result[index - direction]", "full_prior = result[index + direction]", T_SP + T_ARGS, "M"),
    Mutant("propagation: a shrunk slice stops the direction but keeps its mask", "dropped term", SP,
           "reason, mask, area = StopReason.SHRUNK, np.zeros_like(mask), 0", "reason = StopReason.SHRUNK",
           T_SP + T_ARGS, "M"),
    Mutant("window intensity: a float32 volume windowed in place (the caller's array changed)", "aliasing", SP,
           "out = np.array(volume, dtype=np.float32)", "out = np.asarray(volume, dtype=np.float32)", T_SP + T_ARGS,
           "M"),
    # inferers/iterative.py, segmenters.py, slice_grid.py, network_segmenter.py, presets.py
    Mutant("iterative: the older logits alias the prior logits (a quality drop returns the rejected step)",
           "aliasing", IT, "older_logits = prior_logits.clone()", "older_logits = prior_logits", T_IT + T_ARGS, "M"),
    Mutant("iterative: the given prior as one-channel logits whatever the network's channels", "wrong argument", IT,
           "self._as_logits(prior, logits.shape[1])", "self._as_logits(prior, 1)", T_IT + T_ARGS, "M"),
    Mutant("graph cut: 4-neighbourhood (the diagonal edges dropped)", "dropped term", SG,
           "for offset in ((0, 1), (1, 0), (1, 1), (1, -1)):", "for offset in ((0, 1), (1, 0)):", T_SG + T_ARGS,
           "M"),
    Mutant("random walker: foreground seeds labelled like the background (copy-paste)", "wrong constant", SG,
           "labels[seeds[0][box]] = 1", "labels[seeds[0][box]] = 2", T_SG + T_ARGS, "M"),
    Mutant("slice grid: back-resampling columns offset by minus half the grid", "sign flip", SGR,
           "/ frame.step[1] + half", "/ frame.step[1] - half", T_SGR + T_NS + T_ARGS, "M"),
    Mutant("network segmenter: a network in training mode left in eval mode after a call", "wrong flag", NS,
           "training = self.network.training", "training = False", T_NS + T_ARGS, "M"),
    Mutant("presets: graph cut with the class's default sigma 0.05, not the tuned 0.5", "wrong constant", PR,
           "GraphCutSegmenter(lambda_=0.25, sigma=0.5,", "GraphCutSegmenter(lambda_=0.25, sigma=0.05,",
           T_SP + T_CLI + T_ARGS, "M"),
    # losses
    Mutant("dice improvement: smooth_nr and smooth_dr stored swapped", "swapped argument", DI,
           "= float(smooth_nr), float(smooth_dr), float(epsilon)",
           "= float(smooth_dr), float(smooth_nr), float(epsilon)", T_DI + T_ARGS, "M"),
    Mutant("quality loss: the mask read from the dict under RefineNet's key", "wrong key", QL,
           "input = input[RefineOutputs.MASK]", "input = input[RefineOutputs.REFINED]", T_QL + T_ARGS, "M"),
    Mutant("loss helpers: mean reduction returns the sum", "wrong reduction", LU,
           "return torch.mean(f)", "return torch.sum(f)", T_QL + T_DI + T_ARGS, "M"),
    Mutant("output quality: default output_key the 1x side output, not the refined one", "wrong default", OQ,
           "output_key: str = RefineOutputs.REFINED,", "output_key: str = RefineOutputs.SIDE_1,", T_OQ + T_ARGS,
           "M"),
    # metrics
    Mutant("dice coefficient: inputs not made boolean (a 0/255 mask counts 255 per voxel)", "wrong dtype", MO,
           "a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)", "a, b = np.asarray(a), np.asarray(b)",
           T_MET, "M"),
    # networks
    Mutant("unet decoder: upsample not passed to UpCat (deconv always)", "ignored argument", UB,
           "act, norm, bias, dropout, upsample, halves=halves)", "act, norm, bias, dropout, halves=halves)",
           T_NETS, "M"),
    Mutant("networks: image and extra input returned swapped when given separately", "swapped term", NU,
           "    return x, extra\n", "    return extra, x\n", T_NETS, "M"),
    Mutant("cdnn: instance normalisation by default, not batch (paper 003)", "wrong layer kind", CD,
           'norm: str | tuple = "batch",', 'norm: str | tuple = "instance",', T_CD + T_ARCH, "M"),
    Mutant("iterative unet: dropout not passed to the mask branch's down block", "ignored argument", IU,
           "Down(spatial_dims, branch_0, branch_1, act, norm, bias, dropout)",
           "Down(spatial_dims, branch_0, branch_1, act, norm, bias)", T_IU + T_ARCH, "M"),
    Mutant("quality unet: mask logits from the second-to-last decoder stage (half resolution)", "off-by-one", QU,
           "self.final_conv(decoded[-1])", "self.final_conv(decoded[-2])", T_QU + T_ARCH, "M"),
    Mutant("refinenet: the full-resolution guide has the image before the seed maps", "swapped channel", RN,
           "torch.cat([side_1, seeds_1, image], dim=1)", "torch.cat([side_1, image, seeds_1], dim=1)",
           T_RN + T_ARCH, "M"),
    Mutant("refinenet: the 1/4x side output key holds the 1/2x side", "wrong term", RN,
           "RefineOutputs.SIDE_4.value: side_4,", "RefineOutputs.SIDE_4.value: side_2,", T_RN + T_ARCH, "M"),
    # --- group N: a fourteenth independent set, written from the source alone (no test read first), spread over the
    # core folders issue 16 names in proportion to their source lines (transforms 1939 -> 15, inferers 1595 -> 13,
    # losses 498 -> 4, metrics 85 -> 1, networks 878 -> 7), every module sampled in order and weighted to nothing;
    # written after set M's class-level tests landed, and committed before its first run
    # transforms/seeds
    Mutant("seed skeleton: the blobs thinning erased are looked up one label too low (a 3D blob loses its seeds)",
           "off-by-one", SA, "minlength=count + 1)[1:] == 0) + 1", "minlength=count + 1)[1:] == 0)",
           T_SEEDS + T_ARGS, "N"),
    Mutant("discrepancy seeds: background seeds from the under-segmentation (copy-paste of the foreground line)",
           "wrong term", SA, "background = self._error_seeds(pred_np & ~label_np,",
           "background = self._error_seeds(label_np & ~pred_np,", T_SEEDS + T_ARGS, "N"),
    Mutant("seed map (kernel path): the kernel cut off at truncate mm, not truncate * sigma", "wrong argument", SA,
           "_truncated_kernel(self.sigma, tuple(spacing), cutoff,",
           "_truncated_kernel(self.sigma, tuple(spacing), self.truncate,", T_SEEDS + T_ARGS, "N"),
    Mutant("discrepancy seeds dict: min_component_size not passed on", "ignored argument", SD,
           "            min_component_size=min_component_size,\n", "", T_SEEDS + T_DICT, "N"),
    Mutant("mask seeds dict: default margin 3 mm, not the array transform's 5 mm", "wrong default", SD,
           "        margin_mm: float = 5.0,\n", "        margin_mm: float = 3.0,\n", T_SEEDS + T_DICT, "N"),
    # transforms/perturbation
    Mutant("mask perturb: the 3D elastic deformation with the 2D magnitudes (1-4, not 100-300)", "wrong key", PE,
           "magnitude_range=magnitudes[3]", "magnitude_range=magnitudes[2]", T_PERT + T_ARGS, "N"),
    Mutant("mask perturb: the flip always along the first spatial axis, whatever the drawn one", "wrong axis", PE,
           'out = np.flip(out, axis=params["flip"])', "out = np.flip(out, axis=0)", T_PERT + T_ARGS, "N"),
    Mutant("mask perturb dict: noise_fraction_range not passed on", "ignored argument", PP,
           "            noise_fraction_range=noise_fraction_range,\n", "", T_PERT + T_DICT, "N"),
    # transforms/intensity
    Mutant("percentile contrast: one row of percentiles per channel even when not channel-wise", "ignored argument",
           IA, "rows = num_channels if self.channel_wise else 1", "rows = num_channels", T_INT + T_ARGS, "N"),
    Mutant("percentile contrast: output keeps the input dtype (a uint8 image stretched to [0, 1] truncates to 0/1)",
           "wrong dtype", IA, "convert_to_dst_type(stretched.reshape(image.shape), img, dtype=torch.float32)",
           "convert_to_dst_type(stretched.reshape(image.shape), img)", T_INT + T_ARGS, "N"),
    Mutant("colour channels dict: default max_value 1 (8-bit images refused)", "wrong default", ID,
           "        max_value: float = 255.0,\n", "        max_value: float = 1.0,\n", T_INT + T_DICT, "N"),
    # transforms/post, retina, lesion
    Mutant("dual threshold: holes not filled by default", "wrong flag", PA,
           "        fill_holes: bool = True,\n", "        fill_holes: bool = False,\n", T_POST + T_ARGS, "N"),
    Mutant("dual threshold dict: default connectivity 1 (face), not the full connectivity of None", "wrong default",
           PD, "        connectivity: int | None = None,\n", "        connectivity: int | None = 1,\n",
           T_POST + T_DICT, "N"),
    Mutant("FOV mask dict: default channel 1 (green), not 0 (red)", "wrong default", RA,
           "        channel: int = 0,\n", "        channel: int = 1,\n", T_RET + T_DICT, "N"),
    Mutant("lesion mask: a flat image gives a full mask, not an empty one", "wrong constant", TL,
           "mask = np.zeros((1, *grey.shape), dtype=np.uint8)", "mask = np.ones((1, *grey.shape), dtype=np.uint8)",
           T_TL + T_ARGS, "N"),
    # inferers/slice_propagation.py
    Mutant("propagation: the history's foreground and background seed counts swapped", "swapped term", SP,
           "n_fg, n_bg = (int(s.sum()) for s in seeds)", "n_bg, n_fg = (int(s.sum()) for s in seeds)",
           T_SP + T_ARGS, "N"),
    Mutant("merge user seeds: a boolean seeds array merged in place (the caller's seeds changed)", "aliasing", SP,
           "seeds, user = np.array(seeds, dtype=bool), np.asarray(user, dtype=bool)",
           "seeds, user = np.asarray(seeds, dtype=bool), np.asarray(user, dtype=bool)", T_SP + T_ARGS, "N"),
    Mutant("propagation: the windowed image keeps the volume's dtype (an int16 CT cannot be windowed)",
           "wrong dtype", SP, "image = canonical(np.moveaxis(volume[0], slice_axis, 0), np.float32)",
           "image = canonical(np.moveaxis(volume[0], slice_axis, 0))", T_SP + T_ARGS, "N"),
    Mutant("propagation: default min_area_fraction 0 (the shrink stop never fires)", "wrong default", SP,
           "min_area_fraction: float = 0.1,", "min_area_fraction: float = 0.0,", T_SP + T_ARGS, "N"),
    Mutant("rejected by clicks: the prior's components 8-connected (diagonal islands join the main one)",
           "wrong constant", SP, "components = ndimage.label(prior)[0]",
           "components = ndimage.label(prior, np.ones((3, 3)))[0]", T_SP + T_ARGS, "N"),
    Mutant("window check: an empty window (low == high) accepted (division by zero)", "wrong comparison", SP,
           "or window[1] <= window[0]:", "or window[1] < window[0]:", T_SP + T_ARGS, "N"),
    # inferers/segmenters.py, iterative.py, slice_grid.py, network_segmenter.py
    Mutant("graph cut: the shape prior's sink term from the distance inside (copy-paste: the two terms cancel)",
           "wrong term", SG, "sink += self.shape_weight * edt.edt(~inside,",
           "sink += self.shape_weight * edt.edt(inside,", T_SG + T_ARGS, "N"),
    Mutant("graph cut: the sink side taken as foreground", "sign flip", SG,
           "out[(0, *box)] = ~graph.get_grid_segments(nodes)", "out[(0, *box)] = graph.get_grid_segments(nodes)",
           T_SG + T_ARGS, "N"),
    Mutant("iterative: a sample stopped by max_steps returns the step before the last", "wrong term", IT,
           "result[i] = prior_logits[i]", "result[i] = older_logits[i]", T_IT + T_ARGS, "N"),
    Mutant("iterative: default initial prior 0, not 0.5", "wrong default", IT,
           "initial_prior: float = 0.5,", "initial_prior: float = 0.0,", T_IT + T_ARGS, "N"),
    Mutant("slice grid: columns stepped with the row step (anisotropic in-plane spacing)", "wrong axis", SGR,
           "cols = self.centre[1] + offsets * self.step[1]", "cols = self.centre[1] + offsets * self.step[0]",
           T_SGR + T_NS + T_ARGS, "N"),
    Mutant("slice grid: to_slice fills outside the grid with 0, whatever fill", "ignored argument", SGR,
           "torch.full((values.shape[0], *frame.shape), fill,", "torch.full((values.shape[0], *frame.shape), 0.0,",
           T_SGR + T_NS + T_ARGS, "N"),
    Mutant("network segmenter: the input parts in their built order, not the order of channels", "ignored argument",
           NS, "for c in self.channels]), None", "for c in parts]), None", T_NS + T_ARGS, "N"),
    # losses
    Mutant("deep supervision dict: default keys without the 1/2x side output", "dropped term", DS,
           "            RefineOutputs.SIDE_2,\n", "", T_DS + T_ARGS, "N"),
    Mutant("dice improvement: the soft Dice summed over the channels too (one score for all channels)",
           "wrong axis", DI, "axes = list(range(2, prediction.ndim))", "axes = list(range(1, prediction.ndim))",
           T_DI + T_ARGS, "N"),
    Mutant("output quality: the predicted quality read under output_key (copy-paste)", "wrong key", OQ,
           "self.quality_key = str(quality_key)", "self.quality_key = str(output_key)", T_OQ + T_ARGS, "N"),
    Mutant("loss helpers: include_background not passed on (always True)", "ignored argument", LU,
           '"include_background": include_background,', '"include_background": True,', T_QL + T_DI + T_ARGS,
           "N"),
    # metrics
    Mutant("overlap scores: an empty denominator always scores 1 (an empty prediction has sensitivity 1)",
           "dropped term", MO, "return 1.0 if other_empty else 0.0", "return 1.0", T_MET, "N"),
    # networks
    Mutant("unet encoder: downsample_first by default (the first level pooled: half-resolution features)",
           "wrong default", UB, "downsample_first: bool = False,", "downsample_first: bool = True,", T_NETS, "N"),
    Mutant("cdnn: even kernels padded twice (the explicit pad plus the convolution's own)", "dropped argument", CD,
           "bias=bias, padding=0)", "bias=bias)", T_CD + T_ARCH, "N"),
    Mutant("iterative unet: the prior branch's features before the image's at level 1", "swapped channel", IU,
           "torch.cat([self.down_1(x0), self.prior_down_1(prior_features)], dim=1)",
           "torch.cat([self.prior_down_1(prior_features), self.down_1(x0)], dim=1)", T_IU + T_ARCH, "N"),
    Mutant("quality unet: default upsampling by interpolation, not transposed convolution", "wrong layer kind", QU,
           'upsample: str = "deconv",', 'upsample: str = "nontrainable",', T_QU + T_ARCH, "N"),
    Mutant("refinenet: dropout not passed to the 1/4x refinement block", "ignored argument", RN,
           "self.refine_4 = TwoConv(spatial_dims, guide, rf, act, norm, bias, dropout)",
           "self.refine_4 = TwoConv(spatial_dims, guide, rf, act, norm, bias)", T_RN + T_ARCH, "N"),
    Mutant("refinenet: no activation between the quality head's two linear layers", "dropped term", RN,
           "nn.Linear(2 * rf, rf), get_act_layer(act), nn.Linear(rf, 1)", "nn.Linear(2 * rf, rf), nn.Linear(rf, 1)",
           T_RN + T_ARCH, "N"),
    Mutant("networks: a separately given extra input checked against in_channels, not the image channels",
           "wrong term", NU, "if x.shape[1] != image_channels:", "if x.shape[1] != in_channels:", T_NETS, "N"),
    # --- set O (issue 16): a fifteenth blind set, from the source alone, in proportion to the folders' size
    # transforms/intensity
    Mutant("percentile quantiles: the interpolation fraction taken from the upper neighbour (a percentile off by one "
           "rank)", "wrong term", IA, "fraction = position - below", "fraction = position - above", T_INT + T_ARGS,
           "O"),
    Mutant("percentile contrast: clip ignored (always clipped)", "ignored argument", IA,
           "float(b_min), float(b_max), clip, channel_wise", "float(b_min), float(b_max), True, channel_wise",
           T_INT + T_ARGS, "O"),
    Mutant("percentile contrast dict: not channel-wise by default", "wrong flag", ID,
           "        channel_wise: bool = True,\n", "        channel_wise: bool = False,\n", T_INT + T_DICT, "O"),
    # transforms/lesion.py, retina.py
    Mutant("lesion mask dict: allow_missing_keys not passed on (a missing key raises)", "ignored argument", TL,
           "super().__init__(keys, allow_missing_keys)", "super().__init__(keys)", T_TL + T_DICT, "O"),
    Mutant("FOV mask: default threshold 20, not 30", "wrong default", RA,
           "threshold: float = 30.0) -> None:", "threshold: float = 20.0) -> None:", T_RET + T_ARGS, "O"),
    # transforms/post
    Mutant("dual threshold: default high threshold 0.9, not 0.8", "wrong default", PA,
           "        high: float = 0.8,\n", "        high: float = 0.9,\n", T_POST + T_ARGS, "O"),
    Mutant("dual threshold dict: default low threshold 0.4, not the array transform's 0.5", "wrong default", PD,
           "        low: float = 0.5,\n", "        low: float = 0.4,\n", T_POST + T_DICT, "O"),
    # transforms/perturbation
    Mutant("mask perturb: the flip drawn with probability 1 - flip_prob", "wrong comparison", PE,
           "if self.R.rand() < self.flip_prob:", "if self.R.rand() > self.flip_prob:", T_PERT + T_ARGS, "O"),
    Mutant("mask perturb: an unperturbed mask (prob said no) reports Dice 0, not 1", "wrong constant", PE,
           'return img, {"dice": 1.0, "num_tries": 0', 'return img, {"dice": 0.0, "num_tries": 0', T_PERT + T_ARGS,
           "O"),
    Mutant("mask perturb dict: radius_range not passed on", "ignored argument", PP,
           "            radius_range=radius_range,\n", "", T_PERT + T_DICT, "O"),
    # transforms/seeds
    Mutant("mask seeds: the margin's float tolerance subtracted (the ring misses the voxels exactly at the margin)",
           "sign flip", SA, "margin = self.margin_mm * (1 + _RTOL)", "margin = self.margin_mm * (1 - _RTOL)",
           T_SEEDS + T_ARGS, "O"),
    Mutant("extreme point seeds: the points put in the background channel", "swapped channel", SA,
           "return _stack_seeds(foreground, np.zeros_like(foreground), label)",
           "return _stack_seeds(np.zeros_like(foreground), foreground, label)", T_SEEDS + T_ARGS, "O"),
    Mutant("gaussian seed map: the cutoff is truncate mm, not truncate sigmas", "dropped term", SA,
           "cutoff = self.truncate * self.sigma", "cutoff = self.truncate", T_SEEDS + T_ARGS, "O"),
    Mutant("seeds dicts: one seeds key for all keys (only the first key gets seeds)", "off-by-one", SD,
           "        self.transform = transform\n        self.seeds_key = ensure_tuple_rep(seeds_key, len(self.keys))",
           "        self.transform = transform\n        self.seeds_key = ensure_tuple_rep(seeds_key, 1)",
           T_SEEDS + T_DICT, "O"),
    Mutant("extreme point seeds dict: default pert 1 voxel, not 0", "wrong default", SD,
           "        pert: float = 0.0,\n", "        pert: float = 1.0,\n", T_SEEDS + T_DICT, "O"),
    # inferers/iterative.py, network_segmenter.py
    Mutant("iterative: default tolerance 1e-2, not 1e-3", "wrong default", IT,
           "tolerance: float = 1e-3,", "tolerance: float = 1e-2,", T_IT + T_ARGS, "O"),
    Mutant("iterative: the inferer ignored (the network always called directly)", "ignored argument", IT,
           "out = self.inferer(x, network) if self.inferer is not None else network(x)", "out = network(x)",
           T_IT + T_ARGS, "O"),
    Mutant("network segmenter: default seed-map sigma 2 mm, not 5 mm", "wrong default", NS,
           "        sigma: float = 5.0,\n", "        sigma: float = 2.0,\n", T_NS + T_ARGS, "O"),
    # inferers/slice_grid.py
    Mutant("slice grid: to_slice's lower bound rounded down (a row/column outside the grid filled from its border)",
           "wrong rounding", SGR, "low = [max(int(np.ceil(c - half * s)), 0)",
           "low = [max(int(np.floor(c - half * s)), 0)", T_SGR + T_NS + T_ARGS, "O"),
    Mutant("slice grid: an empty prior's frame centred half a pixel off (shape / 2, not (shape - 1) / 2)",
           "off-by-one", SGR, "centre = ((shape[0] - 1) / 2, (shape[1] - 1) / 2)",
           "centre = (shape[0] / 2, shape[1] / 2)", T_SGR + T_NS + T_ARGS, "O"),
    # inferers/segmenters.py
    Mutant("copy previous: returns the caller's prior itself, not a copy", "aliasing", SG,
           "return np.array(convert_to_numpy(prior), copy=True)", "return convert_to_numpy(prior)", T_SG + T_ARGS,
           "O"),
    Mutant("graph cut: the foreground and background seed channels swapped", "swapped channel", SG,
           "fg, bg = seeds[0], seeds[1]", "fg, bg = seeds[1], seeds[0]", T_SG + T_ARGS, "O"),
    # inferers/slice_propagation.py
    Mutant("propagation: a segmenter without a local attribute taken as local (cropped to the prior's box, forked)",
           "wrong default", SP, 'self.local = bool(getattr(segmenter, "local", False))',
           'self.local = bool(getattr(segmenter, "local", True))', T_SP + T_ARGS, "O"),
    Mutant("merge user seeds: an automatic foreground seed under a background click kept", "dropped term", SP,
           "seeds[fg] = (seeds[fg] & ~user[bg]) | user[fg]", "seeds[fg] = seeds[fg] | user[fg]", T_SP + T_ARGS, "O"),
    Mutant("rejected by clicks: the click discs not cut to the prior", "dropped term", SP,
           "    return rejected & prior\n", "    return rejected\n", T_SP + T_ARGS, "O"),
    Mutant("propagation: default window (-100, 100), not (-100, 200)", "wrong default", SP,
           "window: tuple[float, float] = (-100.0, 200.0),", "window: tuple[float, float] = (-100.0, 100.0),",
           T_SP + T_ARGS, "O"),
    Mutant("propagation: the annotated slices looked up along the channel-first axis (slice_axis + 1)", "wrong axis",
           SP, "present = occupied_slices(labels[0], slice_axis)", "present = occupied_slices(labels[0], axis)",
           T_SP + T_ARGS, "O"),
    Mutant("propagation: batched seeds (1, 2, D, H, W) not unbatched", "off-by-one", SP,
           "seeds = None if seeds is None else _unbatch(seeds, 5)",
           "seeds = None if seeds is None else _unbatch(seeds, 4)", T_SP + T_ARGS, "O"),
    # losses
    Mutant("deep supervision dict: default keys with the 1/2x output twice and no 1x side output", "wrong key", DS,
           "            RefineOutputs.SIDE_1,\n", "            RefineOutputs.SIDE_2,\n", T_DS + T_ARGS, "O"),
    Mutant("dice improvement: batch ignored (always per sample)", "ignored argument", DI,
           "self.sigmoid, self.softmax, self.batch = sigmoid, softmax, batch",
           "self.sigmoid, self.softmax, self.batch = sigmoid, softmax, False", T_DI + T_ARGS, "O"),
    Mutant("quality regularized loss: default lambda_quality 0.1, not 1", "wrong default", QL,
           "        lambda_quality: float = 1.0,\n", "        lambda_quality: float = 0.1,\n", T_QL + T_ARGS, "O"),
    Mutant("loss helpers: to_onehot_y not passed on (always False)", "ignored argument", LU,
           '"to_onehot_y": to_onehot_y,', '"to_onehot_y": False,', T_QL + T_DI + T_ARGS, "O"),
    # metrics
    Mutant("overlap scores: the empty case tested on the numerator (no overlap with an empty other side scores 1)",
           "wrong term", MO, "    if denominator == 0:\n", "    if numerator == 0:\n", T_MET, "O"),
    # networks
    Mutant("unet features: the first level's skip dropped (encoded[-2:0:-1])", "off-by-one", UB,
           "self.decoder(encoded[-1], encoded[-2::-1])", "self.decoder(encoded[-1], encoded[-2:0:-1])", T_NETS, "O"),
    Mutant("cdnn: conv-3-2 with a 3x3 kernel, not the paper's 4x4", "wrong constant", CD,
           '("conv", 3), ("conv", 4), ("pool", 2)', '("conv", 3), ("conv", 3), ("pool", 2)', T_CD + T_ARCH, "O"),
    Mutant("iterative unet: the deeper encoder does not downsample its first level", "wrong flag", IU,
           "f[2:-1], act, norm, bias, dropout, downsample_first=True)",
           "f[2:-1], act, norm, bias, dropout, downsample_first=False)", T_IU + T_ARCH, "O"),
    Mutant("quality unet: the image and mask parts swapped after the split", "swapped channel", QU,
           'image, mask = split_channels(x, mask, self.in_channels, self.mask_channels, "mask")',
           'mask, image = split_channels(x, mask, self.in_channels, self.mask_channels, "mask")', T_QU + T_ARCH, "O"),
    Mutant("refinenet: the 1/2x guide's seeds before the side output", "swapped channel", RN,
           "torch.cat([side_2, seeds_2], dim=1)", "torch.cat([seeds_2, side_2], dim=1)", T_RN + T_ARCH, "O"),
    Mutant("refinenet: the 1/4x side output returned under the 1/2x key", "wrong key", RN,
           "RefineOutputs.SIDE_2.value: side_2,", "RefineOutputs.SIDE_2.value: side_4,", T_RN + T_ARCH, "O"),
    Mutant("networks: the extra channel count checked with in_channels (0 prior/seed channels accepted)", "wrong term",
           NU, "check_positive(extra_name, extra_channels)", "check_positive(extra_name, in_channels)", T_NETS, "O"),
    # --- set P (issue 16): a sixteenth blind set, from the source alone, in proportion to the folders' size
    # (lines of code: transforms 1941 -> 15, inferers 1597 -> 13, losses 499 -> 4, metrics 88 -> 1, networks 880 -> 7)
    # transforms/seeds
    Mutant("seeds from points: non-integer click coordinates accepted (truncated to a voxel)", "missing validation",
           SA, '        if not np.array_equal(coords, np.round(coords)):\n            raise ValueError(f"{name} points '
           'must have integer voxel coordinates, got {coords.tolist()}.")\n', "", T_SEEDS + T_ARGS, "P"),
    Mutant("seed skeleton: per-slice skeletons taken along the last axis whatever slice_axis", "ignored argument", SA,
           "np.stack([skeletonize(s) for s in np.moveaxis(mask, slice_axis, 0)])",
           "np.stack([skeletonize(s) for s in np.moveaxis(mask, -1, 0)])", T_SEEDS + T_ARGS, "P"),
    Mutant("seed transforms: seeds take the input's dtype, not float32 (a uint8 mask gives uint8 seeds)",
           "dropped argument", SA, "return convert_to_dst_type(seeds, like, dtype=np.float32)[0]",
           "return convert_to_dst_type(seeds, like)[0]", T_SEEDS + T_ARGS, "P"),
    Mutant("gaussian seed map dict: default truncate 3 sigmas, not the array transform's 5", "wrong default", SD,
           "        truncate: float = 5.0,\n", "        truncate: float = 3.0,\n", T_SEEDS + T_DICT, "P"),
    Mutant("mask seeds dict: spacing not passed on", "ignored argument", SD,
           "MaskSeeds(margin_mm=margin_mm, erosion_mm=erosion_mm, spacing=spacing)",
           "MaskSeeds(margin_mm=margin_mm, erosion_mm=erosion_mm)", T_SEEDS + T_DICT, "P"),
    # transforms/perturbation
    Mutant("mask perturb: randomize=False on a mask of another spatial size not refused", "missing validation", PE,
           "        if not randomize and self._shape != mask.shape:\n", "        if False:\n", T_PERT + T_ARGS, "P"),
    Mutant("mask perturb: a negative noise band width accepted", "missing validation", PE,
           'check_range("noise_band_range", noise_band_range, low=0.0)',
           'check_range("noise_band_range", noise_band_range)', T_PERT + T_ARGS, "P"),
    Mutant("mask perturb dict: shift_range not passed on", "ignored argument", PP,
           "            shift_range=shift_range,\n", "", T_PERT + T_DICT, "P"),
    # transforms/intensity
    Mutant("colour spaces: 'gray' as the unweighted channel mean, not skimage's luminance", "wrong reduction", IA,
           '"gray": lambda rgb: color.rgb2gray(rgb)[..., None],', '"gray": lambda rgb: rgb.mean(-1, keepdims=True),',
           T_INT + T_ARGS, "P"),
    Mutant("percentile contrast: the drawn (lower, upper) pairs stacked along the wrong axis", "wrong axis", IA,
           "self.R.uniform(*self.upper_range, rows)], axis=1", "self.R.uniform(*self.upper_range, rows)], axis=0",
           T_INT + T_ARGS, "P"),
    Mutant("percentile contrast dict: default upper_range (95, 100), not the array transform's (90, 100)",
           "wrong default", ID, "upper_range: Sequence[float] = (90.0, 100.0),",
           "upper_range: Sequence[float] = (95.0, 100.0),", T_INT + T_DICT, "P"),
    # transforms/post, retina.py, lesion.py
    Mutant("dual threshold: a multi-channel probability map accepted (channel 0 used, one channel returned)",
           "missing validation", PA, "if prob.ndim not in (3, 4) or prob.shape[0] != 1:", "if prob.ndim not in (3, 4):",
           T_POST + T_ARGS, "P"),
    Mutant("dual threshold dict: spacing not passed on", "ignored argument", PD,
           "DualThreshold(high, low, select, fill_holes, connectivity, spacing)",
           "DualThreshold(high, low, select, fill_holes, connectivity)", T_POST + T_DICT, "P"),
    Mutant("FOV mask dict: channel not passed on (always the red channel)", "ignored argument", RA,
           "self.transform = FieldOfViewMask(channel, threshold)", "self.transform = FieldOfViewMask(0, threshold)",
           T_RET + T_DICT, "P"),
    Mutant("Otsu lesion mask: the grey level is the channels' maximum, not their mean", "wrong reduction", TL,
           "grey = arr.mean(axis=0)", "grey = arr.max(axis=0)", T_TL + T_ARGS, "P"),
    # inferers/slice_propagation.py
    Mutant("propagation: a user foreground seed in the result does not save a slice from the shrink stop",
           "dropped term", SP, "elif not vouched and area < settings.min_area_fraction * previous:",
           "elif area < settings.min_area_fraction * previous:", T_SP + T_ARGS, "P"),
    Mutant("propagation: a batched input (1, 1, X, Y, Z) gets an unbatched mask back", "dropped term", SP,
           "        if batched:\n            mask = mask[None]\n", "", T_SP + T_ARGS, "P"),
    Mutant("propagation: the seeds' geometry not checked against the input's", "missing validation", SP,
           'for name, other in (("annotation", annotation), ("seeds", seeds)):',
           'for name, other in (("annotation", annotation),):', T_SP + T_ARGS, "P"),
    Mutant("propagation: seeds marking a voxel both foreground and background accepted", "missing validation", SP,
           "if user is not None and (user[0] & user[1]).any():", "if False:", T_SP + T_ARGS, "P"),
    Mutant("propagation: an annotated slice that is empty in the annotation accepted", "missing validation", SP,
           '            if index not in present:\n                raise ValueError(f"annotated slice {index} is empty '
           'in `annotation`.")\n', "", T_SP + T_ARGS, "P"),
    Mutant("propagation: meta['propagated_from'] lists every annotated slice, not the slices propagated from",
           "wrong term", SP, 'out.meta["propagated_from"] = list(slices)',
           'out.meta["propagated_from"] = present.tolist()', T_SP + T_ARGS, "P"),
    # inferers/segmenters.py, slice_grid.py
    Mutant("segmenters: a zero or negative spacing accepted", "missing validation", SG,
           "if pair.shape != (2,) or not np.isfinite(pair).all() or not (pair > 0).all():",
           "if pair.shape != (2,) or not np.isfinite(pair).all():", T_SG + T_ARGS, "P"),
    Mutant("graph cut: the histogram floor not shared out over the bins (each bin gets the whole floor)",
           "dropped term", SG, "histogram + self.probability_floor / self.bins",
           "histogram + self.probability_floor", T_SG + T_ARGS, "P"),
    Mutant("slice grid: images padded with their border, not zeros, outside the slice", "wrong constant", SGR,
           'padding_mode="zeros", align_corners=True)', 'padding_mode="border", align_corners=True)',
           T_SGR + T_NS + T_ARGS, "P"),
    Mutant("slice grid seeds: seeds below the grid's first row/column wrap around to its far side",
           "missing validation", SGR, "index = index[((index >= 0) & (index < self.size)).all(1)]",
           "index = index[(index < self.size).all(1)]", T_SGR + T_NS + T_ARGS, "P"),
    # inferers/iterative.py, network_segmenter.py
    Mutant("iterative: min_quality_gain subtracted (a step rated a little lower is kept)", "sign flip", IT,
           "q < older_quality[i] + self.min_quality_gain", "q < older_quality[i] - self.min_quality_gain",
           T_IT + T_ARGS, "P"),
    Mutant("iterative: every sample recorded with the first active sample's quality", "wrong index", IT,
           "q = None if quality is None else float(quality[j])", "q = None if quality is None else float(quality[0])",
           T_IT + T_ARGS, "P"),
    Mutant("network segmenter: the quality logit squashed with the wrong sign (1 - sigmoid)", "sign flip", NS,
           "float(1 / (1 + np.exp(-quality)))", "float(1 / (1 + np.exp(quality)))", T_NS + T_ARGS, "P"),
    # losses
    Mutant("dice improvement: a previous segmentation of another shape accepted (broadcast)", "missing validation",
           DI, "        if previous.shape != input.shape:\n", "        if False:\n", T_DI + T_ARGS, "P"),
    Mutant("quality regularized loss: only the batch size of quality checked ((B,) accepted)", "missing validation",
           QL, "if quality.shape != (input.shape[0], 1):", "if quality.shape[0] != input.shape[0]:", T_QL + T_ARGS,
           "P"),
    Mutant("deep supervision dict: a weights list of the wrong length accepted", "missing validation", DS,
           "if weights is not None and (len(weights) != len(keys) or min(weights) < 0):",
           "if weights is not None and min(weights) < 0:", T_DS + T_ARGS, "P"),
    Mutant("output quality: the quality errors summed over the batch, not averaged", "wrong reduction", OQ,
           "((quality - dice) ** 2).mean()", "((quality - dice) ** 2).sum()", T_OQ + T_ARGS, "P"),
    # metrics
    Mutant("dice coefficient: two empty masks score 0, not 1", "wrong constant", MO,
           "return 1.0 if total == 0 else", "return 0.0 if total == 0 else", T_MET, "P"),
    # networks
    Mutant("unet decoder: the second-to-last stage does not halve its channels while upsampling", "off-by-one", UB,
           "halves = i < len(features) - 1", "halves = i < len(features) - 2", T_NETS, "P"),
    Mutant("cdnn: default dropout 0.2, not the paper's 0.5", "wrong default", CD,
           "        dropout: float = 0.5,\n", "        dropout: float = 0.2,\n", T_CD + T_ARCH, "P"),
    Mutant("iterative unet: bias not passed to the layer-1 and copy convolutions (always a bias)", "ignored argument",
           IU, "act=act, norm=norm, dropout=dropout, bias=bias)", "act=act, norm=norm, dropout=dropout)",
           T_IU + T_ARCH, "P"),
    Mutant("quality unet: dropout not passed to the backbone", "ignored argument", QU,
           "UNetFeatures(spatial_dims, in_channels, f, act, norm, bias, dropout, upsample)",
           "UNetFeatures(spatial_dims, in_channels, f, act, norm, bias, upsample=upsample)", T_QU + T_ARCH, "P"),
    Mutant("refinenet: a built-in backbone of 3 levels accepted (no decoder stage at 1/4x)", "off-by-one", RN,
           "f = check_features(features, levels=4)", "f = check_features(features, levels=3)", T_RN + T_ARCH, "P"),
    Mutant("refinenet: upsample not passed to the 1/2x refinement stage (deconv always)", "ignored argument", RN,
           "rf, guide, rf, act, norm, bias, dropout, upsample, halves=False)",
           "rf, guide, rf, act, norm, bias, dropout, halves=False)", T_RN + T_ARCH, "P"),
    Mutant("networks: a separately given extra input's channel count not checked", "missing validation", NU,
           '    if extra.shape[1] != extra_channels:\n        raise ValueError(f"{extra_name} must have '
           '{extra_channels} channels, got shape {extra.shape}.")\n', "", T_NETS, "P"),
    # --- set Q (issue 16): a seventeenth blind set, from the source alone, in proportion to the folders' size
    # (lines of code: transforms 1941 -> 15, inferers 1597 -> 13, losses 499 -> 4, metrics 88 -> 1, networks 880 -> 7)
    # transforms/seeds
    Mutant("discrepancy seeds: max_seeds_per_component=0 accepted (no seeds at all)", "missing validation", SA,
           "if max_seeds_per_component is not None and max_seeds_per_component < 1:",
           "if max_seeds_per_component is not None and max_seeds_per_component < 0:", T_SEEDS + T_ARGS, "Q"),
    Mutant("seeds from points: a point with too few coordinates accepted (it marks a whole row)", "missing validation",
           SA, "if coords.ndim != 2 or coords.shape[1] != len(shape):", "if coords.ndim != 2:", T_SEEDS + T_ARGS, "Q"),
    Mutant("mask seeds: the eroded core keeps the pixels exactly erosion_mm deep (>= instead of >)",
           "wrong comparison", SA, "> self.erosion_mm**2", ">= self.erosion_mm**2", T_SEEDS + T_ARGS, "Q"),
    Mutant("gaussian seed map dict: spacing not passed on", "ignored argument", SD,
           "GaussianSeedMap(sigma=sigma, spacing=spacing, truncate=truncate)",
           "GaussianSeedMap(sigma=sigma, truncate=truncate)", T_SEEDS + T_DICT, "Q"),
    Mutant("gaussian seed map dict: default map_key 'seeds' (the maps overwrite the seeds)", "wrong default", SD,
           "map_key: str | Sequence[str] = RefineKeys.SEED_MAP,", "map_key: str | Sequence[str] = RefineKeys.SEEDS,",
           T_SEEDS + T_DICT, "Q"),
    # transforms/perturbation
    Mutant("mask perturb: an erosion keeps the voxels exactly radius mm deep (<= instead of <)", "wrong comparison",
           PE, "else (signed_distance < radius)", "else (signed_distance <= radius)", T_PERT + T_ARGS, "Q"),
    Mutant("mask perturb: the boundary noise drawn with morph_prob (noise_prob ignored)", "wrong term", PE,
           "if self.R.rand() < self.noise_prob:", "if self.R.rand() < self.morph_prob:", T_PERT + T_ARGS, "Q"),
    Mutant("mask perturb dict: elastic_sigma_range not passed on (3D only)", "ignored argument", PP,
           "            elastic_sigma_range=elastic_sigma_range,\n", "", T_PERT + T_DICT, "Q"),
    # transforms/intensity
    Mutant("percentile contrast: a lower range that reaches the upper one accepted (> instead of >=)",
           "wrong comparison", IA, "if self.lower_range[1] >= self.upper_range[0]:",
           "if self.lower_range[1] > self.upper_range[0]:", T_INT + T_ARGS, "Q"),
    Mutant("colour channels: an RGB input without two spatial dims, (3, N), accepted", "missing validation", IA,
           "if img.ndim < 3 or img.shape[0] != 3:", "if img.shape[0] != 3:", T_INT + T_ARGS, "Q"),
    Mutant("percentile contrast dict: every key missing (allow_missing_keys) raises instead of passing through",
           "dropped term", ID, "        if first_key == ():\n            return d\n", "", T_INT + T_DICT, "Q"),
    # transforms/post, retina.py, lesion.py
    Mutant("dual threshold: NaN probabilities accepted (read as background)", "missing validation", PA,
           '        check_finite("img", prob)\n', "", T_POST + T_ARGS, "Q"),
    Mutant("dual threshold dict: fill_holes not passed on (always filled)", "ignored argument", PD,
           "DualThreshold(high, low, select, fill_holes,", "DualThreshold(high, low, select, True,", T_POST + T_DICT,
           "Q"),
    Mutant("FOV mask dict: default threshold 20, not the array transform's 30", "wrong default", RA,
           "        threshold: float = 30.0,\n", "        threshold: float = 20.0,\n", T_RET + T_DICT, "Q"),
    Mutant("Otsu lesion mask: an image that is not (C, H, W) accepted", "missing validation", TL,
           "        if arr.ndim != 3:\n            raise ValueError", "        if False:\n            raise ValueError",
           T_TL + T_ARGS, "Q"),
    # inferers/slice_propagation.py
    Mutant("propagation: a batch of several volumes accepted (only the first one segmented)", "missing validation",
           SP, "if batched and inputs.shape[0] != 1:", "if False:", T_SP + T_ARGS, "Q"),
    Mutant("propagation: the in-plane spacing drops the last axis's spacing whatever the slice axis", "wrong axis",
           SP, "np.delete(resolve_spacing(volume_in, None, 3), slice_axis)",
           "np.delete(resolve_spacing(volume_in, None, 3), 2)", T_SP + T_ARGS, "Q"),
    Mutant("propagation: a max_growth of 1 or less accepted (a slice that does not shrink stops)",
           "missing validation", SP, "np.isfinite(max_growth) and max_growth > 1)",
           "np.isfinite(max_growth) and max_growth > 0)", T_SP + T_ARGS, "Q"),
    Mutant("propagation: a Fortran-order MetaTensor input gets its mask without the input's affine and metadata",
           "dropped term", SP, "            out.copy_meta_from(inputs)\n", "", T_SP + T_ARGS, "Q"),
    Mutant("propagation: an invalid slice_axis accepted by the constructor (refused only when called)",
           "missing validation", SP,
           "            resolve_slice_axis(np.zeros((1, 1, 1, 1)), slice_axis)  # validates\n", "            pass\n",
           T_SP + T_ARGS, "Q"),
    Mutant("propagation: an annotated slice recorded with direction +1, not 0", "wrong constant", SP,
           "SliceRecord(start, 0, int(result[start].sum()), 0, 0, 0.0)",
           "SliceRecord(start, 1, int(result[start].sum()), 0, 0, 0.0)", T_SP + T_ARGS, "Q"),
    # inferers/segmenters.py, slice_grid.py
    Mutant("segmenters: a prior of another in-plane size accepted (only its rank checked)", "missing validation", SG,
           "    if prior.shape != image.shape:\n", "    if prior.ndim != image.ndim:\n", T_SG + T_ARGS, "Q"),
    Mutant("graph cut: background seeds not hard constraints (only the foreground ones are)", "dropped term", SG,
           "        source[bg], sink[bg] = 0.0, infinity\n", "", T_SG + T_ARGS, "Q"),
    Mutant("network input: sigma ignored (the grid's seed maps always 5 mm wide)", "ignored argument", SGR,
           "seed_map = GaussianSeedMap(sigma=sigma,", "seed_map = GaussianSeedMap(sigma=5.0,", T_SGR + T_NS + T_ARGS,
           "Q"),
    Mutant("slice grid seeds: the background seeds never moved onto the grid", "dropped term", SGR,
           "for channel in (SeedChannel.FOREGROUND, SeedChannel.BACKGROUND):",
           "for channel in (SeedChannel.FOREGROUND,):", T_SGR + T_NS + T_ARGS, "Q"),
    # inferers/iterative.py, network_segmenter.py
    Mutant("iterative: a sample that ran out of steps has no stop reason in its history", "dropped term", IT,
           "            history[i][-1].stop_reason = str(StopReason.MAX_STEPS)\n", "", T_IT + T_ARGS, "Q"),
    Mutant("iterative: a network output of 3 or more channels accepted (channel 1 taken as foreground)",
           "missing validation", IT, "if logits.ndim != x.ndim or logits.shape[1] not in (1, 2):",
           "if logits.ndim != x.ndim:", T_IT + T_ARGS, "Q"),
    Mutant("network segmenter: an unknown channel name accepted by the constructor", "missing validation", NS,
           "        if not channels or unknown:\n", "        if not channels:\n", T_NS + T_ARGS, "Q"),
    # losses
    Mutant("dice improvement: epsilon 0 accepted (the weight divides by zero for a prior of Dice 0)",
           "wrong comparison", DI, "if not epsilon > 0:", "if not epsilon >= 0:", T_DI + T_ARGS, "Q"),
    Mutant("quality regularized loss: a prior of another shape than the mask accepted", "missing validation", QL,
           "        if prior.shape != input.shape:\n            raise ValueError(f\"prior must have the shape",
           "        if False:\n            raise ValueError(f\"prior must have the shape", T_QL + T_ARGS, "Q"),
    Mutant("deep supervision dict: an unknown weight_mode accepted (MONAI falls back to equal weights)",
           "missing validation", DS, 'if weight_mode not in ("exp", "same", "two"):', "if False:", T_DS + T_ARGS,
           "Q"),
    Mutant("loss helpers: smooth_nr not passed on (MONAI's default 1e-5 always)", "ignored argument", LU,
           '        "smooth_nr": smooth_nr,\n', "", T_QL + T_DI + T_ARGS, "Q"),
    # metrics
    Mutant("overlap scores: ignore_empty gives NaN only when both masks are empty (not for every empty label)",
           "wrong condition", MO, "if ignore_empty and n_label == 0:",
           "if ignore_empty and n_label == 0 and n_pred == 0:", T_MET, "Q"),
    # networks
    Mutant("refinenet: upsample not passed to the built-in backbone (deconv always)", "ignored argument", RN,
           "self.unet = UNetFeatures(spatial_dims, in_channels, features, act, norm, bias, dropout, upsample)",
           "self.unet = UNetFeatures(spatial_dims, in_channels, features, act, norm, bias, dropout)", T_RN + T_ARCH,
           "Q"),
    Mutant("refinenet: dropout not passed to the 1x refinement stage", "ignored argument", RN,
           "rf, guide + image_channels, rf, act, norm, bias, dropout, upsample, halves=False",
           "rf, guide + image_channels, rf, act, norm, bias, 0.0, upsample, halves=False", T_RN + T_ARCH, "Q"),
    Mutant("cdnn: the dropout before decv-5-1 missing (one dropout layer, not the paper's two)", "dropped term", CD,
           '    ("drop", 0), ("conv", 3),  # decv-5-1\n', '    ("conv", 3),  # decv-5-1\n', T_CD + T_ARCH, "Q"),
    Mutant("unet features: the last decoder stage f[0] wide, not f[-1] (the same in every default)", "wrong index",
           UB, "(*f[-3:0:-1], f[-1]), act, norm, bias, dropout, upsample",
           "(*f[-3:0:-1], f[0]), act, norm, bias, dropout, upsample", T_NETS, "Q"),
    Mutant("iterative unet: upsample not passed to the decoder (deconv always)", "ignored argument", IU,
           "(*f[-3:0:-1], f[-1]), act, norm, bias, dropout, upsample", "(*f[-3:0:-1], f[-1]), act, norm, bias, dropout",
           T_IU + T_ARCH, "Q"),
    Mutant("quality unet: bias not passed to the backbone (always a bias)", "ignored argument", QU,
           "UNetFeatures(spatial_dims, in_channels, f, act, norm, bias, dropout, upsample)",
           "UNetFeatures(spatial_dims, in_channels, f, act, norm, True, dropout, upsample)", T_QU + T_ARCH, "Q"),
    Mutant("networks: spatial_dims=1 accepted", "missing validation", NU, "if spatial_dims not in (2, 3):",
           "if spatial_dims not in (1, 2, 3):", T_NETS, "Q"),
    # --- set R (issue 16): an eighteenth blind set, from the source alone, over transforms/ (38, in proportion to its
    # modules' size: seeds 9 + 4, perturbation 6 + 3, intensity 5 + 3, post 3 + 1, retina 2, lesion 2) and metrics/ (2)
    # transforms/seeds/array.py
    Mutant("discrepancy seeds: per-slice components cut along the last axis whatever slice_axis", "wrong axis", SA,
           "centre[slice_axis] = offset", "centre[-1] = offset", T_SEEDS + T_ARGS, "R"),
    Mutant("discrepancy seeds: MetaTensors of different geometry accepted", "missing validation", SA,
           '            check_same_geometry(pred, label, names=("pred", "label"))\n', "            pass\n",
           T_SEEDS + T_ARGS, "R"),
    Mutant("mask seeds: erosion_mm=0 accepted (the core is the whole mask)", "wrong comparison", SA,
           "(not np.isfinite(erosion_mm) or erosion_mm <= 0)", "(not np.isfinite(erosion_mm) or erosion_mm < 0)",
           T_SEEDS + T_ARGS, "R"),
    Mutant("mask seeds: a margin below the spacing found at call time (pixdim or 1) accepted", "missing validation",
           SA, "        _check_margin(self.margin_mm, spacing)\n", "", T_SEEDS + T_ARGS, "R"),
    Mutant("mask seeds: the crop grown by margin * spacing voxels, not margin / spacing (sub-mm voxels lose the ring)",
           "mm vs voxel", SA, "np.floor(margin / spacing)", "np.floor(margin * spacing)", T_SEEDS + T_ARGS, "R"),
    Mutant("gaussian seed map: the spacing argument ignored (only the MetaTensor's pixdim, else 1)", "ignored argument",
           SA, "resolve_spacing(seeds, self.spacing, seeds_np.ndim - 1)",
           "resolve_spacing(seeds, None, seeds_np.ndim - 1)", T_SEEDS + T_ARGS, "R"),
    Mutant("extreme point seeds: MONAI's one-sided jitter added on top of the symmetric one", "wrong argument", SA,
           "rand_state=self.R, pert=0.0)", "rand_state=self.R, pert=self.pert)", T_SEEDS + T_ARGS, "R"),
    Mutant("extreme point seeds: one jitter vector shared by every point", "wrong shape", SA,
           "self.R.uniform(-self.pert, self.pert, points.shape)",
           "self.R.uniform(-self.pert, self.pert, points.shape[1:])", T_SEEDS + T_ARGS, "R"),
    Mutant("seeds from points: background clicks written into the foreground channel", "swapped channel", SA,
           '(SeedChannel.BACKGROUND, "background", background),', '(SeedChannel.FOREGROUND, "background", background),',
           T_SEEDS + T_ARGS, "R"),
    # transforms/seeds/dictionary.py
    Mutant("gaussian seed map dict: sigma not passed on (always 5 mm)", "ignored argument", SD,
           "GaussianSeedMap(sigma=sigma, spacing=spacing, truncate=truncate)",
           "GaussianSeedMap(spacing=spacing, truncate=truncate)", T_SEEDS + T_DICT, "R"),
    Mutant("mask seeds dict: margin_mm not passed on (always 5 mm)", "ignored argument", SD,
           "MaskSeeds(margin_mm=margin_mm, erosion_mm=erosion_mm, spacing=spacing)",
           "MaskSeeds(erosion_mm=erosion_mm, spacing=spacing)", T_SEEDS + T_DICT, "R"),
    Mutant("discrepancy seeds dict: allow_missing_keys not passed on (a missing key raises)", "ignored argument", SD,
           "MapTransform.__init__(self, keys, allow_missing_keys)", "MapTransform.__init__(self, keys)",
           T_SEEDS + T_DICT, "R"),
    Mutant("gaussian seed map dict: default sigma 3 mm, not the array transform's 5", "wrong default", SD,
           "        sigma: float = 5.0,\n", "        sigma: float = 3.0,\n", T_SEEDS + T_DICT, "R"),
    # transforms/perturbation/array.py
    Mutant("mask perturb: prob ignored (always perturbed)", "ignored argument", PE,
           'RandomizableTransform.__init__(self, check_probability("prob", prob))',
           'check_probability("prob", prob)\n        RandomizableTransform.__init__(self)', T_PERT + T_ARGS, "R"),
    Mutant("mask perturb: the crop padded with its edge (a mask touching the image border is not eroded from it)",
           "wrong constant", PE, "crop = np.pad(mask[box], 1)", 'crop = np.pad(mask[box], 1, mode="edge")',
           T_PERT + T_ARGS, "R"),
    Mutant("mask perturb: the distances' crop grown by reach * spacing voxels, not reach / spacing", "mm vs voxel", PE,
           "margin = np.ceil(reach / spacing)", "margin = np.ceil(reach * spacing)", T_PERT + T_ARGS, "R"),
    Mutant("mask perturb: randomize=False searches dice_range too (a replay outside it raises)", "dropped term", PE,
           "if not randomize or self.dice_range is None or", "if self.dice_range is None or", T_PERT + T_ARGS, "R"),
    Mutant("mask perturb: rotation and shift pad with the border, not background", "wrong constant", PE,
           'padding_mode="zeros",\n                    image_only=True,',
           'padding_mode="border",\n                    image_only=True,', T_PERT + T_ARGS, "R"),
    Mutant("mask perturb: an elastic sigma range starting at 0 accepted", "wrong comparison", PE,
           "if sigma_range[0] <= 0:", "if sigma_range[0] < 0:", T_PERT + T_ARGS, "R"),
    # transforms/perturbation/dictionary.py
    Mutant("mask perturb dict: quality_key=None stores the Dice under the key None", "dropped term", PP,
           "            if quality_key is not None:\n", "            if True:\n", T_PERT + T_DICT, "R"),
    Mutant("mask perturb dict: rotate_range not passed on", "ignored argument", PP,
           "            rotate_range=rotate_range,\n", "", T_PERT + T_DICT, "R"),
    Mutant("mask perturb dict: allow_missing_keys not passed on (a missing key raises)", "ignored argument", PP,
           "MapTransform.__init__(self, keys, allow_missing_keys)", "MapTransform.__init__(self, keys)",
           T_PERT + T_DICT, "R"),
    # transforms/intensity/array.py
    Mutant("percentile contrast: prob=0 returns the converted float tensor, not the input", "wrong term", IA,
           "            return img\n", "            return image\n", T_INT + T_ARGS, "R"),
    Mutant("percentile contrast: equal percentiles shift by the lower one (scale 1), not map to b_min",
           "wrong constant", IA, "width, 1.0), 0.0)", "width, 1.0), 1.0)", T_INT + T_ARGS, "R"),
    Mutant("colour channels: negative RGB values accepted", "missing validation", IA,
           "if rgb.min() < 0 or rgb.max() > self.max_value:", "if rgb.max() > self.max_value:", T_INT + T_ARGS, "R"),
    Mutant("percentile contrast: b_min == b_max accepted (every value b_min)", "wrong comparison", IA,
           "and b_min < b_max)", "and b_min <= b_max)", T_INT + T_ARGS, "R"),
    Mutant("colour channels: an empty spaces sequence accepted by the constructor", "missing validation", IA,
           "if not spaces or unknown:", "if unknown:", T_INT + T_ARGS, "R"),
    # transforms/intensity/dictionary.py
    Mutant("colour channels dict: spaces not passed on (always paper 003's 7 channels)", "ignored argument", ID,
           "ColorSpaceChannels(spaces=spaces, max_value=max_value)", "ColorSpaceChannels(max_value=max_value)",
           T_INT + T_DICT, "R"),
    Mutant("percentile contrast dict: prob not passed on (always stretched)", "ignored argument", ID,
           "RandPercentileContrast(prob, lower_range,", "RandPercentileContrast(1.0, lower_range,", T_INT + T_DICT,
           "R"),
    Mutant("percentile contrast dict: lower_range not passed on (always (0, 10))", "ignored argument", ID,
           "RandPercentileContrast(prob, lower_range, upper_range,",
           "RandPercentileContrast(prob, (0.0, 10.0), upper_range,", T_INT + T_DICT, "R"),
    # transforms/post
    Mutant("dual threshold: negative probabilities accepted", "missing validation", PA,
           "if prob.min() < 0 or prob.max() > 1:", "if prob.max() > 1:", T_POST + T_ARGS, "R"),
    Mutant("dual threshold centroid: seed masses indexed from label 0 (the background's mass shifts them by one)",
           "off-by-one", PA, "sum_labels(prob, seeds, np.arange(1, count + 1))",
           "sum_labels(prob, seeds, np.arange(count))", T_POST + T_ARGS, "R"),
    Mutant("largest filled region: holes that meet the outside through a corner not filled (8-connected background)",
           "wrong constant", PA, "FillHoles(connectivity=1)", "FillHoles(connectivity=2)",
           T_POST + T_TL + T_RET + T_ARGS, "R"),
    Mutant("dual threshold dict: connectivity not passed on (always the full neighbourhood)", "ignored argument", PD,
           "select, fill_holes, connectivity, spacing)", "select, fill_holes, None, spacing)", T_POST + T_DICT, "R"),
    # transforms/retina.py, lesion.py
    Mutant("FOV mask: pixels exactly at the threshold taken as lit (>= instead of >)", "wrong comparison", RA,
           "arr > self.threshold", "arr >= self.threshold", T_RET + T_ARGS, "R"),
    Mutant("FOV mask: a negative channel accepted (an empty slice, an empty mask)", "missing validation", RA,
           "or not isinstance(channel, (int, np.integer)) or channel < 0:",
           "or not isinstance(channel, (int, np.integer)):", T_RET + T_ARGS, "R"),
    Mutant("Otsu lesion mask: Otsu's threshold from every channel's values, not the grey level", "wrong term", TL,
           "grey < threshold_otsu(grey)", "grey < threshold_otsu(arr)", T_TL + T_ARGS, "R"),
    Mutant("Otsu lesion mask: the image read as uint8 (a [0, 1] image is all 0, values above 255 wrap)",
           "wrong dtype", TL, "arr = convert_to_numpy(img).astype(np.float32)",
           "arr = convert_to_numpy(img).astype(np.uint8)", T_TL + T_ARGS, "R"),
    # metrics
    Mutant("overlap scores: only the number of dims checked (broadcasting shapes pass)", "missing validation", MO,
           "    if p.shape != g.shape:\n", "    if p.ndim != g.ndim:\n", T_MET, "R"),
    Mutant("dice coefficient: integer division (every Dice below 1 is 0)", "wrong dtype", MO,
           "else 2.0 * int(np.logical_and(a, b).sum()) / total", "else 2 * int(np.logical_and(a, b).sum()) // total",
           T_MET, "R"),
    # --- set S (issue 16): a nineteenth blind set, from the source alone, over inferers/ (22), losses/ (6) and
    # networks/ (12), each spread over its modules in proportion to their lines of code (set R covers transforms and
    # metrics alongside): slice_propagation 10, segmenters 3, slice_grid 3, iterative 3, network_segmenter 2,
    # presets 1; dice_improvement 2, quality, deep_supervision, output_quality and utils 1 each; refinenet 3, cdnn,
    # iterative_unet, quality_unet and blocks/unet 2 each, networks/utils 1. The networks' selections had T_ARCH or
    # T_NETS alone in the first run (as in set Q), although the T_ARGS tables hold the networks too: three survivors
    # there (two defaults, one features limit) were caught by those tables; T_ARGS was added after the first run
    # inferers/slice_propagation.py
    Mutant("propagation: slice_axis=True accepted (taken as axis 1)", "missing validation", SP,
           "if isinstance(slice_axis, bool) or slice_axis not in (-3, -2, -1, 0, 1, 2):",
           "if slice_axis not in (-3, -2, -1, 0, 1, 2):", T_SP + T_ARGS, "S"),
    Mutant("propagation: min_area_fraction=1 accepted (every slice that does not grow stops)", "wrong comparison", SP,
           "if not 0 <= min_area_fraction < 1:", "if not 0 <= min_area_fraction <= 1:", T_SP + T_ARGS, "S"),
    Mutant("propagation: margin_mm / erosion_mm not validated by the constructor (refused only when called)",
           "missing validation", SP,
           "        MaskSeeds(margin_mm=margin_mm, erosion_mm=erosion_mm)  # validates; the seeder is built per call\n",
           "", T_SP + T_ARGS, "S"),
    Mutant("propagation: the intensity fence from the whole start slice, not the organ's pixels on it", "dropped term",
           SP, "q1, q3 = np.percentile(self.image[start][result[start]], [25, 75])",
           "q1, q3 = np.percentile(self.image[start], [25, 75])", T_SP + T_ARGS, "S"),
    Mutant("propagation: the upper intensity fence below Q3 (q3 - k)", "sign flip", SP, "fence = (q1 - k, q3 + k)",
           "fence = (q1 - k, q3 - k)", T_SP + T_ARGS, "S"),
    Mutant("propagation: a user foreground seed anywhere on the slice vouches for it (not only one in the result)",
           "dropped term", SP, "(self.user[SeedChannel.FOREGROUND, index][box] & mask[box]).any()",
           "self.user[SeedChannel.FOREGROUND, index][box].any()", T_SP + T_ARGS, "S"),
    Mutant("propagation: min_quality with a segmenter that returns no quality not refused (TypeError later)",
           "missing validation", SP,
           '            elif settings.min_quality is not None:\n                raise ValueError("min_quality needs',
           '            elif False:\n                raise ValueError("min_quality needs', T_SP + T_ARGS, "S"),
    Mutant("slice result: a probability of exactly 0.5 is background (> instead of >=)", "wrong comparison", SP,
           "mask = np.asarray(probability) >= 0.5", "mask = np.asarray(probability) > 0.5", T_SP + T_ARGS, "S"),
    Mutant("middle slice: an empty mask not refused with a ValueError (IndexError)", "missing validation", SP,
           '    if present.size == 0:\n        raise ValueError("the reference mask is empty',
           '    if False:\n        raise ValueError("the reference mask is empty', T_SP + T_ARGS, "S"),
    Mutant("propagation: the segmenter's predicted quality not recorded in the slice's history", "history record",
           SP, "SliceRecord(index, direction, area, n_fg, n_bg, ms, stop_reason, quality)",
           "SliceRecord(index, direction, area, n_fg, n_bg, ms, stop_reason)", T_SP + T_ARGS, "S"),
    # inferers/segmenters.py, slice_grid.py, presets.py
    Mutant("graph cut: bins=1 accepted (one histogram bin: no intensity model)", "off-by-one", SG, "if bins < 2:",
           "if bins < 1:", T_SG + T_ARGS, "S"),
    Mutant("graph cut: boundary weights multiplied by the edge length, not divided", "wrong term", SG,
           "(2 * self.sigma**2)) / distance", "(2 * self.sigma**2)) * distance", T_SG + T_ARGS, "S"),
    Mutant("random walker: beta=0 accepted", "wrong comparison", SG, "if not np.isfinite(beta) or beta <= 0:",
           "if not np.isfinite(beta) or beta < 0:", T_SG + T_ARGS, "S"),
    Mutant("slice grid: size 8 refused (the documented minimum)", "off-by-one", SGR, "or size < 8:", "or size <= 8:",
           T_SGR + T_NS + T_ARGS, "S"),
    Mutant("slice grid: an array of another size than the frame's slice accepted by sample", "missing validation",
           SGR, "if data.ndim != 3 or tuple(data.shape[1:]) != frame.shape:", "if data.ndim != 3:",
           T_SGR + T_NS + T_ARGS, "S"),
    Mutant("slice grid: default spacing 1 mm, not 2 mm", "wrong default", SGR,
           "def __init__(self, size: int = 128, spacing: float = 2.0)",
           "def __init__(self, size: int = 128, spacing: float = 1.0)", T_SGR + T_NS + T_ARGS, "S"),
    Mutant("presets: random walker without the intensity fence", "dropped term", PR,
           '{"margin_mm": 3.0, "erosion_mm": 2.0, **_STOPS}', '{"margin_mm": 3.0, "erosion_mm": 2.0}',
           T_SP + T_CLI + T_ARGS, "S"),
    # inferers/iterative.py, network_segmenter.py
    Mutant("iterative: an infinite min_quality_gain accepted", "missing validation", IT,
           "if not (math.isfinite(min_quality_gain) and min_quality_gain >= 0):", "if not min_quality_gain >= 0:",
           T_IT + T_ARGS, "S"),
    Mutant("iterative: a NaN prior accepted", "missing validation", IT,
           "elif not torch.isfinite(prior).all() or prior.min() < 0", "elif prior.min() < 0", T_IT + T_ARGS, "S"),
    Mutant("iterative: a change equal to the tolerance counts as converged (<= instead of <)", "wrong comparison",
           IT, "elif deltas[j] < self.tolerance:", "elif deltas[j] <= self.tolerance:", T_IT + T_ARGS, "S"),
    Mutant("network segmenter: sigma=0 accepted", "wrong comparison", NS,
           "if not np.isfinite(sigma) or sigma <= 0:", "if not np.isfinite(sigma) or sigma < 0:", T_NS + T_ARGS, "S"),
    Mutant("network segmenter: quality_logits on by default (a probability squashed again)", "wrong default", NS,
           "quality_logits: bool = False,", "quality_logits: bool = True,", T_NS + T_ARGS, "S"),
    # losses
    Mutant("dice improvement: a target of another shape than the input accepted (broadcast)", "missing validation",
           DI, '        if target.shape != input.shape:\n            raise ValueError(f"target must have',
           '        if False:\n            raise ValueError(f"target must have', T_DI + T_ARGS, "S"),
    Mutant("dice improvement: sigmoid and softmax both set accepted (sigmoid wins)", "missing validation", DI,
           "        if sigmoid and softmax:\n", "        if False:\n", T_DI + T_ARGS, "S"),
    Mutant("quality regularized loss: smooth_nr and smooth_dr handed to the Dice pair swapped", "swapped argument",
           QL, "include_background, to_onehot_y, sigmoid, softmax, smooth_nr, smooth_dr\n",
           "include_background, to_onehot_y, sigmoid, softmax, smooth_dr, smooth_nr\n", T_QL + T_ARGS, "S"),
    Mutant("deep supervision dict: an empty keys list accepted (the loss is always 0)", "missing validation", DS,
           '        if len(keys) == 0:\n            raise ValueError("keys must name at least one output.")\n', "",
           T_DS + T_ARGS, "S"),
    Mutant("output quality: a NaN lambda_quality accepted", "missing validation", OQ,
           "if not lambda_quality >= 0:", "if lambda_quality < 0:", T_OQ + T_ARGS, "S"),
    Mutant("loss helpers: softmax not passed to the prediction's Dice loss", "ignored argument", LU,
           "return DiceLoss(sigmoid=sigmoid, softmax=softmax, **common), DiceLoss(**common)",
           "return DiceLoss(sigmoid=sigmoid, **common), DiceLoss(**common)", T_QL + T_DI + T_ARGS, "S"),
    # networks
    Mutant("refinenet: refine_features=0 accepted", "missing validation", RN,
           '        check_positive("refine_features", refine_features)\n', "", T_RN + T_ARCH + T_ARGS, "S"),
    Mutant("refinenet: the quality head sum-pools the features, not averages them (depends on the input size)",
           "wrong reduction", RN, "pooled = torch.cat([h.flatten(2).mean(2), h.flatten(2).amax(2)], dim=1)",
           "pooled = torch.cat([h.flatten(2).sum(2), h.flatten(2).amax(2)], dim=1)", T_RN + T_ARCH + T_ARGS, "S"),
    Mutant("refinenet: instance normalisation by default, not batch", "wrong default", RN,
           'norm: str | tuple = "batch",', 'norm: str | tuple = "instance",', T_RN + T_ARCH + T_ARGS, "S"),
    Mutant("iterative unet: instance normalisation by default, not batch (documented)", "wrong default", IU,
           'norm: str | tuple = "batch",', 'norm: str | tuple = "instance",', T_IU + T_ARCH + T_ARGS, "S"),
    Mutant("iterative unet: norm not passed to the layer-1 and copy convolutions (no normalisation there)",
           "ignored argument", IU, "Convolution(spatial_dims, c_in, c_out, act=act, norm=norm, dropout=dropout,",
           "Convolution(spatial_dims, c_in, c_out, act=act, dropout=dropout,", T_IU + T_ARCH + T_ARGS, "S"),
    Mutant("cdnn: more features than Table I's 17 accepted (the extra widths ignored)", "missing validation", CD,
           "if len(features) != n_convs:", "if len(features) < n_convs:", T_CD + T_ARCH + T_ARGS, "S"),
    Mutant("cdnn: the first spatial size not checked for divisibility by 16", "off-by-one", CD,
           "for size in x.shape[2:]:", "for size in x.shape[3:]:", T_CD + T_ARCH + T_ARGS, "S"),
    Mutant("quality unet: default features doubling at every level, not BasicUNet's first four", "wrong default", QU,
           "features: Sequence[int] = (32, 32, 64, 128, 32),", "features: Sequence[int] = (32, 64, 128, 256, 32),",
           T_QU + T_ARCH + T_ARGS, "S"),
    Mutant("quality unet: a 2-level backbone refused (levels=3)", "off-by-one", QU,
           "f = check_features(features, levels=2)", "f = check_features(features, levels=3)",
           T_QU + T_ARCH + T_ARGS, "S"),
    Mutant("unet decoder: skip_channels and features of different lengths accepted (zip truncates)",
           "missing validation", UB, "        if len(skip_channels) != len(features):\n            raise ValueError(",
           "        if False:\n            raise ValueError(", T_NETS + T_ARGS, "S"),
    Mutant("unet decoder: default upsampling by interpolation, not the documented deconvolution", "wrong default", UB,
           'upsample: str = "deconv",\n    ) -> None:\n        super().__init__()\n        if len(s',
           'upsample: str = "nontrainable",\n    ) -> None:\n        super().__init__()\n        if len(s',
           T_NETS + T_ARGS, "S"),
    Mutant("networks: out_channels=0 accepted by the split-input networks", "missing validation", NU,
           '    check_positive("out_channels", out_channels)\n    check_positive(extra_name, extra_channels)\n',
           "    check_positive(extra_name, extra_channels)\n", T_NETS + T_ARGS, "S"),
    # --- set T (issue 16): a twentieth blind set, from the source alone, over transforms/ (38, in proportion to its
    # modules' lines of code: seeds/array 9, seeds/dictionary 5, perturbation/array 6, perturbation/dictionary 3,
    # intensity/array 5, intensity/dictionary 3, post/array 3, post/dictionary 1, retina 2, lesion 1) and metrics/ (2),
    # weighted to nothing, written alongside set U (inferers, losses, networks); the fixed selection T_TRANSFORMS or
    # T_METRICS (the package's whole test folder plus every systematic file)
    # transforms/seeds/array.py
    Mutant("discrepancy seeds: drawn from numpy's global random state (set_random_state does not reproduce them)",
           "randomness", SA, "self._draw = int(self.R.randint(2**31))", "self._draw = int(np.random.randint(2**31))",
           T_TRANSFORMS, "T"),
    Mutant("discrepancy seeds: per_slice ignored for the skeleton (one 3D skeleton of per-slice components)",
           "ignored argument", SA, "skeleton = _skeleton(labels > 0, labels, self.per_slice, self.slice_axis)",
           "skeleton = _skeleton(labels > 0, labels, False, self.slice_axis)", T_TRANSFORMS, "T"),
    Mutant("discrepancy seeds: slice_axis=3 accepted (the range of axes one too long)", "off-by-one", SA,
           "if slice_axis not in (-3, -2, -1, 0, 1, 2):", "if slice_axis not in range(-3, 4):", T_TRANSFORMS, "T"),
    Mutant("seed skeleton: components dropped by min_component_size get a seed at the crop's corner", "dropped term",
           SA, "    missing = missing[np.bincount(labels[mask], minlength=count + 1)[missing] > 0]\n", "",
           T_TRANSFORMS, "T"),
    Mutant("mask seeds: margin_mm=NaN (or inf) accepted by the constructor", "missing validation", SA,
           "if not np.isfinite(margin_mm) or margin_mm <= 0:", "if margin_mm <= 0:", T_TRANSFORMS, "T"),
    Mutant("gaussian seed map: truncate=0 accepted (the map is the seeds alone)", "missing validation", SA,
           "if not np.isfinite(truncate) or truncate <= 0:", "if not np.isfinite(truncate) or truncate < 0:",
           T_TRANSFORMS, "T"),
    Mutant("gaussian seed map (kernel path): voxels exactly truncate * sigma away get 0, unlike the EDT path",
           "wrong comparison", SA, "np.where(squared <= cutoff**2,", "np.where(squared < cutoff**2,",
           T_TRANSFORMS, "T"),
    Mutant("gaussian seed map (kernel path): every kernel placed one voxel past its seed", "off-by-one", SA,
           "box = canvas[tuple(slice(p, p + n) for p, n in zip(start, kernel.shape))]",
           "box = canvas[tuple(slice(p + 1, p + 1 + n) for p, n in zip(start, kernel.shape))]", T_TRANSFORMS, "T"),
    Mutant("seeds from points: coordinates not transposed (one click marks whole rows)", "wrong axis", SA,
           "seeds[(channel, *coords.astype(np.int64).T)] = True", "seeds[(channel, *coords.astype(np.int64))] = True",
           T_TRANSFORMS, "T"),
    # transforms/seeds/dictionary.py
    Mutant("discrepancy seeds dict: every key gets its own draw, not the call's one", "randomness", SD,
           "d[self.label_key], randomize=False)", "d[self.label_key], randomize=True)", T_TRANSFORMS, "T"),
    Mutant("seed dicts: a RandomState given to set_random_state not handed on (only a seed is)", "ignored argument",
           SD, "self.transform.set_random_state(seed, state)", "self.transform.set_random_state(seed)",
           T_TRANSFORMS, "T"),
    Mutant("discrepancy seeds dict: the label key ignored (the prediction compared with itself: no seeds)",
           "dict key", SD, "self.transform(d[key], d[self.label_key],", "self.transform(d[key], d[key],",
           T_TRANSFORMS, "T"),
    Mutant("seed dicts (mask, map, extreme points): the input dict modified in place", "dict key", SD,
           "        d = dict(data)\n        for key, seeds_key in self.key_iterator(d, self.seeds_key):\n"
           "            d[seeds_key] = self.transform(d[key])",
           "        d = data\n        for key, seeds_key in self.key_iterator(d, self.seeds_key):\n"
           "            d[seeds_key] = self.transform(d[key])", T_TRANSFORMS, "T"),
    Mutant("discrepancy seeds dict: default slice_axis 0, not the array transform's -1", "wrong default", SD,
           "        slice_axis: int = -1,\n        allow_missing_keys",
           "        slice_axis: int = 0,\n        allow_missing_keys", T_TRANSFORMS, "T"),
    # transforms/perturbation/array.py
    Mutant("mask perturb: a negative rotate_range accepted", "missing validation", PE,
           "if not (np.isfinite(rotate_range) and rotate_range >= 0):", "if not np.isfinite(rotate_range):",
           T_TRANSFORMS, "T"),
    Mutant("mask perturb: a shift drawn without rotation or elastic is never applied", "dropped term", PE,
           'if {"elastic", "rotate", "shift"} & params.keys():', 'if {"elastic", "rotate"} & params.keys():',
           T_TRANSFORMS, "T"),
    Mutant("mask perturb: the output as float32, not the input's dtype (a uint8 mask comes back float)", "wrong dtype",
           PE, "result, *_ = convert_to_dst_type(out[None], img)",
           "result, *_ = convert_to_dst_type(out[None], img, dtype=np.float32)", T_TRANSFORMS, "T"),
    Mutant("mask perturb: the spacing argument ignored (only the MetaTensor's pixdim, else 1)", "mm vs voxel", PE,
           "spacing = resolve_spacing(img, self.spacing, mask.ndim)", "spacing = resolve_spacing(img, None, mask.ndim)",
           T_TRANSFORMS, "T"),
    Mutant("mask perturb: the empty-mask check inverted (refused without dice_range, let through with it)",
           "wrong comparison", PE, "if self.dice_range is not None and not mask.any():",
           "if self.dice_range is None and not mask.any():", T_TRANSFORMS, "T"),
    Mutant("mask perturb: boundary noise overwrites the band instead of flipping its voxels", "dropped term", PE,
           "out[band] ^= field[band] < fraction", "out[band] = field[band] < fraction", T_TRANSFORMS, "T"),
    # transforms/perturbation/dictionary.py
    Mutant("mask perturb dict: max_tries not passed on (always 100)", "ignored argument", PP,
           "            max_tries=max_tries,\n", "            max_tries=100,\n", T_TRANSFORMS, "T"),
    Mutant("mask perturb dict: randomize=False ignored (the first key draws anew)", "ignored argument", PP,
           "randomize=randomize and index == 0)", "randomize=index == 0)", T_TRANSFORMS, "T"),
    Mutant("mask perturb dict: morph_prob takes noise_prob's value", "swapped argument", PP,
           "            morph_prob=morph_prob,\n", "            morph_prob=noise_prob,\n", T_TRANSFORMS, "T"),
    # transforms/intensity/array.py
    Mutant("percentile contrast: Inf values accepted (only NaN refused)", "missing validation", IA,
           "if not torch.isfinite(image).all():", "if torch.isnan(image).any():", T_TRANSFORMS, "T"),
    Mutant("colour channels: the channel axis moved to the end again, not to the front", "swapped argument", IA,
           "result, *_ = convert_to_dst_type(np.moveaxis(out, -1, 0),",
           "result, *_ = convert_to_dst_type(np.moveaxis(out, 0, -1),", T_TRANSFORMS, "T"),
    Mutant("percentile contrast: a 1D input without spatial dims accepted", "off-by-one", IA,
           "if img.ndim < 2:", "if img.ndim < 1:", T_TRANSFORMS, "T"),
    Mutant("colour channels: the already-[0, 1] guard misses an image whose maximum is exactly 1", "wrong comparison",
           IA, "0 < rgb.max() <= 1 and", "0 < rgb.max() < 1 and", T_TRANSFORMS, "T"),
    Mutant("percentile contrast: one lower percentile drawn for every channel (channel-wise draws shared)",
           "randomness", IA, "[self.R.uniform(*self.lower_range, rows), self.R.uniform",
           "[np.full(rows, self.R.uniform(*self.lower_range)), self.R.uniform", T_TRANSFORMS, "T"),
    # transforms/intensity/dictionary.py
    Mutant("percentile contrast dict: b_max not passed on (always 1)", "ignored argument", ID,
           "b_min, b_max, clip, channel_wise)", "b_min, 1.0, clip, channel_wise)", T_TRANSFORMS, "T"),
    Mutant("colour channels dict: the input dict modified in place", "dict key", ID,
           "        d = dict(data)\n        for key in self.key_iterator(d):\n"
           "            d[key] = self.converter(d[key])",
           "        d = data\n        for key in self.key_iterator(d):\n            d[key] = self.converter(d[key])",
           T_TRANSFORMS, "T"),
    Mutant("percentile contrast dict: not clipped by default", "wrong default", ID,
           "        clip: bool = True,\n", "        clip: bool = False,\n", T_TRANSFORMS, "T"),
    # transforms/post
    Mutant("dual threshold: connectivity=True accepted (a bool read as 1)", "missing validation", PA,
           "connectivity is not None and (isinstance(connectivity, bool) or connectivity not in (1, 2, 3)):",
           "connectivity is not None and connectivity not in (1, 2, 3):", T_TRANSFORMS, "T"),
    Mutant("dual threshold center: the component one label below the nearest kept (label 1: the background)",
           "off-by-one", PA, "np.arange(1, count + 1))) + 1", "np.arange(1, count + 1)))", T_TRANSFORMS, "T"),
    Mutant("dual threshold: the mask returned as bool, not in the input's dtype", "wrong dtype", PA,
           "result, *_ = convert_to_dst_type(mask, img)", "result, *_ = convert_to_dst_type(mask, img, dtype=bool)",
           T_TRANSFORMS, "T"),
    Mutant("dual threshold dict: high not passed on (always 0.8)", "ignored argument", PD,
           "DualThreshold(high, low, select, fill_holes, connectivity, spacing)",
           "DualThreshold(0.8, low, select, fill_holes, connectivity, spacing)", T_TRANSFORMS, "T"),
    # transforms/retina.py, lesion.py
    Mutant("FOV mask: channel=True accepted (a bool read as channel 1)", "missing validation", RA,
           "if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or channel < 0:",
           "if not isinstance(channel, (int, np.integer)) or channel < 0:", T_TRANSFORMS, "T"),
    Mutant("FOV mask: two channels thresholded from channel on (a two-channel mask)", "off-by-one", RA,
           "convert_to_numpy(img[self.channel : self.channel + 1])",
           "convert_to_numpy(img[self.channel : self.channel + 2])", T_TRANSFORMS, "T"),
    Mutant("Otsu lesion mask: the grey level averaged over the last spatial axis, not the channels", "wrong axis",
           TL, "grey = arr.mean(axis=0)", "grey = arr.mean(axis=-1)", T_TRANSFORMS, "T"),
    # metrics
    Mutant("overlap scores: the label read from pred (every score 1)", "swapped argument", MO,
           'as_binary_mask("label", label)', 'as_binary_mask("label", pred)', T_METRICS, "T"),
    Mutant("overlap scores: every empty label scores NaN, ignore_empty or not", "wrong comparison", MO,
           "if ignore_empty and n_label == 0:", "if ignore_empty or n_label == 0:", T_METRICS, "T"),
)  # fmt: skip


def _copy_tree(destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for name in ("monai_refine", "tests", "bundles"):  # the bundle tests and the CLI's default bundle need bundles/
        shutil.copytree(REPO / name, destination / name, ignore=ignore, symlinks=True)
    for name in ("pyproject.toml", "setup.cfg"):
        shutil.copy2(REPO / name, destination / name)


def _preload() -> None:
    """Import the heavy dependencies once in this process, so that every forked test run starts in milliseconds."""
    import monai.data  # noqa: F401
    import monai.inferers  # noqa: F401
    import monai.losses  # noqa: F401
    import monai.metrics  # noqa: F401
    import monai.networks.nets  # noqa: F401
    import monai.transforms  # noqa: F401
    import pytest  # noqa: F401
    import scipy.ndimage  # noqa: F401
    import skimage.color  # noqa: F401
    import skimage.filters  # noqa: F401
    import torch

    torch.set_num_threads(1)


def _run(copy: Path, args: list[str], timeout: float) -> tuple[str, float]:
    """Run pytest on ``args`` in a forked child whose ``monai_refine`` is imported from ``copy``."""
    # TorchScript/export round trips check compatibility, not behaviour, and take most of the networks' test time
    command = ["-q", "-x", "-p", "no:cacheprovider", "--no-header", "-k", "not script_and_export", *args]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: nothing of monai_refine or tests is imported yet in the parent
        code = 3
        try:
            os.chdir(copy)
            sys.path.insert(0, str(copy))
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest

            code = int(pytest.main(command))
        finally:
            os._exit(code)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        seconds = time.perf_counter() - start
        if done:
            break
        if seconds > timeout:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", seconds
        time.sleep(0.05)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return "passed", seconds
    if code == 5:  # no tests collected
        return "no tests", seconds
    return "failed", seconds


def _selection(mutant: Mutant, copy: Path) -> list[str]:
    tests = [t for t in mutant.tests if (copy / t).exists()]
    return [*tests, mutant.path]  # the mutated module's doctests run too (addopts has --doctest-modules)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", "--match", default="", help="only mutants whose name contains this text")
    parser.add_argument("--group", default="", help="only the mutants of this group (A to U)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per test run (a timeout is caught)")
    parser.add_argument("--min-score", type=float, default=0.0, help="exit 1 when the caught fraction is lower")
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if args.match in m.name and args.group in m.group]
    os.environ.setdefault("MONAI_REFINE_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = True
    if any(name == "monai_refine" or name.startswith(("monai_refine.", "tests.")) for name in sys.modules):
        raise RuntimeError("monai_refine must not be imported before the forks: run this file as a script.")
    _preload()
    with tempfile.TemporaryDirectory(prefix="monai_refine_mutation_") as tmp:
        copy = Path(tmp)
        _copy_tree(copy)
        selections = sorted({tuple(_selection(m, copy)) for m in mutants})
        for selection in selections:  # the baseline: every selection passes on the unmodified copy
            status, seconds = _run(copy, list(selection), args.timeout)
            if status != "passed":
                print(f"baseline {status} ({seconds:.1f} s): {' '.join(selection)}", file=sys.stderr)
                return 2
        caught, counted, rows = 0, 0, []
        for mutant in mutants:
            target = copy / mutant.path
            original = target.read_text()
            if original.count(mutant.old) != 1:
                rows.append(("stale", 0.0, mutant))
                print(f"stale    {mutant.name}: snippet found {original.count(mutant.old)} times", flush=True)
                continue
            target.write_text(original.replace(mutant.old, mutant.new))
            try:
                status, seconds = _run(copy, _selection(mutant, copy), args.timeout)
            finally:
                target.write_text(original)
            verdict = "caught" if status in ("failed", "timeout") else "SURVIVED"
            counted += 1
            caught += verdict == "caught"
            rows.append((verdict, seconds, mutant))
            print(f"{verdict:8s} {seconds:5.1f} s  [{mutant.kind}] {mutant.name} ({mutant.path})", flush=True)
    score = caught / counted if counted else 0.0
    stale = sum(row[0] == "stale" for row in rows)
    print()
    for group in sorted({m.group for m in mutants}):
        mine = [row for row in rows if row[2].group == group and row[0] != "stale"]
        hits = sum(row[0] == "caught" for row in mine)
        print(f"set {group}: caught {hits}/{len(mine)}")
    print(f"caught {caught}/{counted} mutants ({100 * score:.1f} %), {stale} stale")
    return 1 if score < args.min_score else 0


if __name__ == "__main__":
    sys.exit(main())
