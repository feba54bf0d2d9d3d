// One browser story at a time: the demo's and the dashboard's each run an API host (the dashboard's also the identity
// host and a worker) and drive Chromium, and on CI's two cores, both at once starved the demo page's requests
// past a 90-second wait (CI at 58779c0's parent). Serial, the project takes under a minute.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
