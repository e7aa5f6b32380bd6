import pytest

from harness.reasoning import split_reasoning


def test_think_tags_split_thinking_from_answer():
    s = split_reasoning("<think>\nlet me add 2 and 3\n</think>\n\nThe sum is \\boxed{5}.")
    assert s.thinking == "let me add 2 and 3"
    assert s.answer == "The sum is \\boxed{5}."
    assert not s.truncated and s.style == "think"


def test_template_that_opens_think_in_prompt_leaves_only_closing_tag():
    s = split_reasoning("reasoning here\n</think>\n\\boxed{7}")
    assert s.thinking == "reasoning here"
    assert s.answer == "\\boxed{7}"


def test_unclosed_think_at_the_cap_is_truncated_and_has_no_answer():
    s = split_reasoning("<think>I will compute \\boxed{3} maybe, then", finish_reason="length")
    assert s.truncated and s.status == "truncated"
    assert s.answer == ""
    assert "compute" in s.thinking


def test_prompt_that_opens_think_and_output_never_closes_is_truncated():
    s = split_reasoning("still thinking \\boxed{4}", prompt_text="<|User|>q<|Assistant|><think>\n", finish_reason="length")
    assert s.truncated and s.answer == ""


def test_reasoning_content_field_is_the_thinking():
    s = split_reasoning("\\boxed{9}", reasoning_content="long thought")
    assert s.thinking == "long thought" and s.answer == "\\boxed{9}" and s.style == "reasoning_content"


def test_begin_of_thought_style_with_solution_block():
    text = "<|begin_of_thought|>\nhmm\n<|end_of_thought|>\n\n<|begin_of_solution|>\nSo \\boxed{12}\n<|end_of_solution|>"
    s = split_reasoning(text)
    assert s.thinking == "hmm" and s.answer == "So \\boxed{12}" and s.style == "thought"


def test_begin_of_thought_never_closed_is_truncated():
    s = split_reasoning("<|begin_of_thought|>\nSo I have this problem, \\boxed{1}", finish_reason="length")
    assert s.truncated and s.answer == ""


def test_no_tags_means_whole_text_is_answer():
    s = split_reasoning("  The answer is 5.  ")
    assert s.thinking is None and s.answer == "The answer is 5." and not s.truncated


def test_last_closing_tag_wins_when_model_repeats_it():
    s = split_reasoning("<think>a</think> draft \\boxed{1} </think> final \\boxed{2}")
    assert s.answer == "final \\boxed{2}"


def test_server_split_with_empty_answer_at_token_cap_is_truncated():
    s = split_reasoning("", reasoning_content="thinking until the cap", finish_reason="length")
    assert s.truncated and s.answer == ""
    done = split_reasoning("", reasoning_content="thought, then said nothing", finish_reason="stop")
    assert not done.truncated


@pytest.mark.parametrize("finish", ["stop", None, "content_filter"])
@pytest.mark.parametrize("text,prompt", [
    ("<think>abc", None),
    ("<|begin_of_thought|>\nSo \\boxed{1}", None),
    ("still thinking \\boxed{4}", "<|User|>q<|Assistant|><think>\n"),
])
def test_unclosed_thought_without_the_cap_is_malformed_not_truncated(text, prompt, finish):
    s = split_reasoning(text, prompt_text=prompt, finish_reason=finish)
    assert s.status == "malformed" and not s.truncated and s.answer == ""


def test_answer_part_at_the_cap_is_marked_capped_not_truncated():
    s = split_reasoning("<think>ok</think> so n is 7 and", finish_reason="length")
    assert s.status == "ok" and s.answer_capped and s.answer == "so n is 7 and"
    plain = split_reasoning("so n is 7 and", finish_reason="length")
    assert plain.status == "ok" and plain.answer_capped
    assert not split_reasoning("so n is 7.", finish_reason="stop").answer_capped


def test_closed_thought_with_nothing_after_it_at_the_cap_is_truncated():
    assert split_reasoning("<think>done</think>", finish_reason="length").status == "truncated"
    assert split_reasoning("<think>done</think>", finish_reason="stop").status == "ok"
