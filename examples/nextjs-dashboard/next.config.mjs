/* global process */
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // The end-to-end test builds into its own folder, so concurrent test runs never share a build.
  distDir: process.env.NEXT_DIST_DIR ?? '.next',
}

export default nextConfig
