export function getEndpointUrl() {
  return `${process.env.NEXT_PUBLIC_TINYBIRD_HOST}/v0/pipes/top_airlines.json`
}
