import matplotlib.image
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from conftest import moving_square
from ssv2.explain import class_index, explain_clip, gallery_picks, grad_cam, main
from ssv2.video import write_video
from test_predict import write_checkpoint


class RedDetector(nn.Module):
    """Class 0 scores how much red the clip holds, class 1 the opposite: Grad-CAM for 0 must find the red."""

    def __init__(self):
        super().__init__()
        self.layer3 = nn.Sequential(nn.Conv3d(3, 1, 1), nn.ReLU())  # non-negative, as a ResNet block's output
        with torch.no_grad():
            self.layer3[0].weight.copy_(torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1, 1))
            self.layer3[0].bias.zero_()
        self.fc = nn.Linear(1, 2)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[1.0], [-1.0]]))
            self.fc.bias.zero_()

    def forward(self, x):
        return self.fc(self.layer3(x.float() / 255).mean((2, 3, 4)))  # models take uint8 clips


def test_grad_cam_finds_where_and_when_the_evidence_is():
    video = moving_square(frames=6, height=48, width=64)  # a red square crossing left to right
    clip = torch.from_numpy(video).permute(3, 0, 1, 2)
    heat = grad_cam(RedDetector(), clip, target=0).numpy()
    assert heat.shape == (6, 48, 64) and heat.min() >= 0 and heat.max() == 1
    red = (video[..., 0] > 200) & (video[..., 1] < 100)
    for t in range(6):
        peak = np.unravel_index(heat[t].argmax(), heat[t].shape)
        assert red[t][peak], f"frame {t}: the heat peaks at {peak}, off the square"
    assert grad_cam(RedDetector(), clip, target=1).max() == 0  # nothing speaks for "no red"
    with pytest.raises(ValueError, match="unknown layer 'layer9'"):
        grad_cam(RedDetector(), clip, 0, layer="layer9")


def test_gallery_picks_reversal_pairs_first_one_right_one_wrong():
    names = ["Holding something", "Moving something down", "Moving something up", "Tearing something"]
    targets = torch.tensor([0, 0, 3, 2, 2, 1, 3])
    pred = torch.tensor([0, 0, 3, 1, 2, 1, 0])
    assert gallery_picks(pred, targets, names, classes=3) == [
        (5, "correct"),
        (4, "correct"),
        (3, "confused"),
        (0, "correct"),
    ]
    assert gallery_picks(pred, targets, names, classes=1) == [(5, "correct")]


def test_class_index():
    names = ["Moving something down", "Moving something up"]
    assert class_index("Moving something up", names) == 1 and class_index("0", names) == 0
    with pytest.raises(ValueError, match="'Moving something upp'.*did you mean 'Moving something up'"):
        class_index("Moving something upp", names)


def test_explain_cli_writes_gif_and_grid(tmp_path, ssv2_names, capsys):
    names = ssv2_names[:7]
    checkpoint = write_checkpoint(tmp_path / "model.pt", names)
    video = tmp_path / "clip.webm"
    write_video(video, moving_square(20, 48, 64, seed=1))
    out = tmp_path / "cams"
    assert main([str(video), "--checkpoint", str(checkpoint), "--out", str(out), "--class", names[2]]) == 0
    assert f"{names[2]} -> " in capsys.readouterr().out
    with Image.open(out / "clip.gif") as gif:
        assert gif.n_frames == 4 and gif.height == 224  # the checkpoint's 4 frames
    assert matplotlib.image.imread(out / "clip.png").shape[1] > 400

    assert main([str(tmp_path / "missing.webm"), "--checkpoint", str(checkpoint), "--out", str(out)]) == 1
    assert "missing.webm" in capsys.readouterr().err
    assert main([str(video), "--checkpoint", str(checkpoint), "--class", "Dancing"]) == 2
    assert "unknown class 'Dancing'" in capsys.readouterr().err


def test_explain_clip_titles_the_top_class_by_default():
    clip = torch.from_numpy(moving_square(frames=4, height=32, width=32)).permute(3, 0, 1, 2)
    explanation = explain_clip(RedDetector(), clip, ["red", "not red"], actual=1)
    assert explanation.target == "red" and explanation.actual == "not red"
    assert [name for name, _ in explanation.top] == ["red", "not red"]
    assert explanation.frames.shape == (4, 32, 32, 3) and explanation.heat.shape == (4, 32, 32)
