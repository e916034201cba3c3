"""The models page: every recipe of every installed task package, read from the recipes themselves."""

from otx.core.config.structure import load_yaml
from otx.core.plugin import installed_plugins


def model_rows() -> list[tuple[str, str, str, str, str, str]]:
    """``(task, model, role, class, input size, pretrained weights)`` per recipe, by package and task."""
    rows = []
    for plugin in installed_plugins():
        for spec in plugin.tasks:
            for name, path in spec.recipe_paths().items():
                recipe = load_yaml(path)
                model = recipe["model"]
                size = recipe.get("data", {}).get("input_size")
                roles = [
                    role
                    for role, chosen in (("default", spec.default_model), ("pretrained default", spec.pretrained_model))
                    if chosen == name
                ]
                rows.append(
                    (
                        f"{spec.task.value} ({plugin.distribution})",
                        name,
                        ", ".join(roles),
                        model["class_path"],
                        "x".join(str(side) for side in size) if size else "",
                        "yes" if model.get("pretrained") else "",
                    )
                )
    return rows


def models_page() -> str:
    """The markdown of the models table."""
    lines = "\n".join(
        f"| {task} | `{name}` | {role} | `{cls}` | {size} | {weights} |"
        for task, name, role, cls, size, weights in model_rows()
    )
    return f"""# Models

Every model recipe of the installed task packages, as `otx find` lists them; generated from the
recipes when the site is built. Train one with `otx train --model NAME` or
`Engine.from_model_name("NAME", data_root=...)`.

- **default**: the model auto-configuration trains from random init when no pretrained weights can
  be had; **pretrained default**: the one it picks instead when that model's pretrained weights are
  on this machine or can be downloaded ([Pretrained weights](../weights.md)).
- **input size**: the recipe's `data.input_size` (height x width); auto-configuration may pick a
  smaller size from the data, never a larger one.
- **pretrained weights**: the recipe names weights to start from (`model.pretrained`); `otx weights`
  says whether this machine has them. Without them the model trains from random init.
- Models of the MMDetection and MMSegmentation extras need those extras installed
  ([MMDetection and MMSegmentation](../mm-extras.md)).

| task (package) | model | role | class | input size | pretrained weights |
|---|---|---|---|---|---|
{lines}
"""
