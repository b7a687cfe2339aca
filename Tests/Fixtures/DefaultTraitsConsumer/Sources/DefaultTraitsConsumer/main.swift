// Logs one record through a default-traits Sluice and checks it was written.
import Sluice

let sink = HandlerSink(name: "count") { _ in }
