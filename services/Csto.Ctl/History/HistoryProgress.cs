using Spectre.Console;

namespace Csto.Ctl.History;

/// <summary>What the history loader reports as it goes: the step it is on, and what it is waiting for.</summary>
public interface IHistoryProgress
{
    void Step(int done, int total, string what);

    void Waiting(string what, TimeSpan since);
}

/// <summary>One line per step and per wait (<c>--no-progress</c>, or output that is not a terminal: logs, CI, tests).</summary>
public sealed class PlainProgress(TextWriter output) : IHistoryProgress
{
    public void Step(int done, int total, string what) => output.WriteLine($"[{done}/{total}] {what}");

    public void Waiting(string what, TimeSpan since) => output.WriteLine($"  waiting for {what} ({since.TotalSeconds:0} s)");
}

/// <summary>A progress bar (Spectre.Console) on an interactive terminal: steps done, the current step, and what it waits for.</summary>
public sealed class BarProgress(ProgressTask task) : IHistoryProgress
{
    public void Step(int done, int total, string what)
    {
        task.MaxValue = Math.Max(total, 1);
        task.Value = done;
        task.Description = Markup.Escape(Short(what));
    }

    public void Waiting(string what, TimeSpan since) => task.Description = Markup.Escape(Short($"waiting for {what} ({since.TotalSeconds:0} s)"));

    static string Short(string text) => text.Length > 60 ? text[..59] + "…" : text;

    /// <summary>Runs <paramref name="load"/> under a progress bar drawn on standard error.</summary>
    public static Task<T> RunAsync<T>(Func<IHistoryProgress, Task<T>> load)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Progress()
            .AutoClear(false)
            .Columns(new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
            .StartAsync(ctx => load(new BarProgress(ctx.AddTask("history", maxValue: 1))));
    }
}
