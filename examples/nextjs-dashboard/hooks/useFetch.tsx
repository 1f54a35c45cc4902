/* eslint-disable -- Tinybird's guide code as published, kept as is to prove compatibility (not typed to this repo's rules). */
import { generateJWT } from '@/server/token'
import { useState } from 'react'

export function useFetcher() {
  const [token, setToken] = useState('')

  const refreshToken = async () => {
    const newToken = await generateJWT()
    setToken(newToken)
    return newToken
  }

  return async (url: string) => {
    let currentToken = token
    if (!currentToken) {
      currentToken = await refreshToken()
    }
    const response = await fetch(url + '?token=' + currentToken)

    if (response.status === 200) {
      return response.json()
    }
    if (response.status === 403) {
      const newToken = await refreshToken()
      return fetch(url + '?token=' + newToken).then((res) => res.json())
    }
  }
}
