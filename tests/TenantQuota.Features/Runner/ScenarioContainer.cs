namespace TenantQuota.Features.Runner;

/// <summary>
/// Reqnroll-style context injection: one instance per type per scenario, built through its single public
/// constructor. Not thread-safe, because a scenario runs its steps one after another.
/// </summary>
public sealed class ScenarioContainer : IAsyncDisposable
{
    private readonly Dictionary<Type, object> instances = [];
    private readonly Dictionary<Type, Func<ScenarioContainer, object>> factories = [];
    private readonly List<object> owned = [];
    private readonly Stack<Type> resolving = new();
    private bool disposed;

    /// <summary>Shares an object created elsewhere (e.g. an xunit fixture). The container will not dispose it.</summary>
    public void Register<T>(T instance) where T : class
    {
        EnsureFree(typeof(T));
        instances[typeof(T)] = instance;
    }

    /// <summary>Creates the object lazily on first use; the container owns and disposes it.</summary>
    public void Register<T>(Func<ScenarioContainer, T> factory) where T : class
    {
        EnsureFree(typeof(T));
        factories[typeof(T)] = factory;
    }

    public T Resolve<T>() where T : class => (T)Resolve(typeof(T));

    public object Resolve(Type type)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (type == typeof(ScenarioContainer)) return this;
        if (instances.TryGetValue(type, out var existing)) return existing;
        if (resolving.Contains(type)) throw Failure(type, "its constructor depends on itself");

        resolving.Push(type);
        try
        {
            var instance = factories.TryGetValue(type, out var factory) ? factory(this) : Construct(type);
            instances[type] = instance;
            owned.Add(instance);
            return instance;
        }
        finally
        {
            resolving.Pop();
        }
    }

    /// <summary>Reverse creation order, so an object is disposed before the things it was built from.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        var errors = new List<Exception>();
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            try
            {
                if (owned[i] is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
                else if (owned[i] is IDisposable disposable) disposable.Dispose();
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }
        if (errors.Count > 0) throw new AggregateException("Disposing scenario objects failed.", errors);
    }

    private object Construct(Type type)
    {
        if (type.IsInterface || type.IsAbstract || !type.IsClass || type == typeof(string))
            throw Failure(type, "only concrete classes can be created; register an instance or factory instead");
        var constructors = type.GetConstructors();
        if (constructors.Length != 1)
            throw Failure(type, $"it needs exactly one public constructor, it has {constructors.Length}");
        var arguments = constructors[0].GetParameters().Select(p => Resolve(p.ParameterType)).ToArray();
        return constructors[0].Invoke(arguments);
    }

    private void EnsureFree(Type type)
    {
        if (instances.ContainsKey(type) || factories.ContainsKey(type))
            throw new InvalidOperationException($"{type.Name} is already registered or created in this scenario.");
    }

    private InvalidOperationException Failure(Type type, string reason)
    {
        var chain = string.Join(" -> ", resolving.Reverse().Append(type).Select(t => t.Name));
        return new InvalidOperationException($"Cannot create {type.Name} ({chain}): {reason}.");
    }
}
