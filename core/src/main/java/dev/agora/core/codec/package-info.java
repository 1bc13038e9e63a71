/**
 * The JSON wire format: Agora's message records in the shape of the Mesos v1 JSON APIs (field
 * names in snake_case, enum values by name, ids as {@code {"value": ...}}, unions as a
 * {@code type} plus a field named after it). Reading is bounded by Jackson's
 * {@code StreamReadConstraints} because the input comes from the network.
 */
package dev.agora.core.codec;
